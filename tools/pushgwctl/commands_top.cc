// pushgwctl top: polls `stats` every interval and redraws until 'q'.
#include <cstdio>
#include <ctime>
#include <deque>

#include "commands.h"
#include "json_util.h"
#include "request.h"
#include "screen.h"
#include "top_model.h"

namespace pushgw::ctl {
namespace {

constexpr double kMixWindowS = 10;  // the outcome mix covers about this much history

std::string utc_now() {
  const time_t t = time(nullptr);
  tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  strftime(buf, sizeof buf, "%Y-%m-%d %H:%M:%S UTC", &tm);
  return buf;
}

double mono_s() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

// One stats sample; errors go to `inner`'s stream (printed after the screen is restored).
int fetch(Session& inner, double timeout, std::deque<TopSample>& history) {
  const std::string id = inner.next_id();
  std::string response;
  if (const int rc = inner.request(build_op_request("stats", id), id_key_of_string(id), timeout, response)) return rc;
  if (const int rc = inner.print_status(response)) return rc;
  auto sample = parse_top_sample(response, mono_s());
  if (!sample.ok()) {
    inner.fail("bad response", sample.error().message);
    return kExitIo;
  }
  history.push_back(std::move(*sample));
  while (history.size() > 2 && history.back().at_s - history[1].at_s >= kMixWindowS) history.pop_front();
  return kExitOk;
}

int loop(Session& inner, Screen& screen) {
  const Options& o = inner.opts();
  const auto interval = std::chrono::duration_cast<std::chrono::steady_clock::duration>(
      std::chrono::duration<double>(o.interval_s));
  const double timeout = o.timeout_s ? *o.timeout_s : 10.0;
  std::deque<TopSample> history;
  TopHeader header{o.socket, "", o.interval_s};
  auto next = std::chrono::steady_clock::now();
  for (uint64_t frames = 0;;) {
    if (const int rc = fetch(inner, timeout, history)) return rc;
    header.clock = utc_now();
    screen.draw(render_top(history, header));
    if (o.iterations > 0 && ++frames >= o.iterations) return kExitOk;
    next += interval;
    if (next < std::chrono::steady_clock::now()) next = std::chrono::steady_clock::now() + interval;
    for (Screen::Event e; (e = screen.wait(next)) != Screen::Event::Tick;) {
      if (e == Screen::Event::Quit) return kExitOk;
      screen.draw(render_top(history, header));  // resized
    }
  }
}

}  // namespace

int run_top(Session& s) {
  char* err_text = nullptr;
  size_t err_size = 0;
  FILE* err = open_memstream(&err_text, &err_size);
  if (err == nullptr) return kExitIo;
  int rc;
  {
    Session inner(s.opts(), Io{s.io().out, err});
    Screen screen(s.io().out);
    rc = loop(inner, screen);
  }  // the terminal is restored here, before any error is shown
  std::fclose(err);
  if (err_size > 0) std::fwrite(err_text, 1, err_size, s.io().err);
  free(err_text);
  return rc;
}

}  // namespace pushgw::ctl
