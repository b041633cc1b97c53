// feedback [--since N] [--limit N] [--follow]
#include <chrono>
#include <thread>

#include "commands.h"
#include "format.h"
#include "json_util.h"
#include "request.h"

namespace pushgw::ctl {
namespace {

// Fetches and prints one page; on success advances since to the page's "next".
int fetch_page(Session& s, uint64_t& since, bool with_header, size_t& count) {
  const Options& o = s.opts();
  const std::string id = s.next_id();
  std::string response;
  const double timeout = effective_timeout(o, false);
  if (const int rc = s.request(build_feedback_request(id, since, o.limit), id_key_of_string(id), timeout, response)) {
    return rc;
  }
  if (const int rc = s.print_status(response); rc != kExitOk) {
    if (o.json) std::fprintf(s.io().out, "%s\n", response.c_str());
    return rc;
  }
  // NDJSON of the events themselves (not the response), so --follow output is one stream.
  auto page = format_feedback(response, o.json, with_header);
  if (!page.ok()) {
    s.fail("bad response", page.error().message);
    return kExitIo;
  }
  std::fputs(page->text.c_str(), s.io().out);
  if (page->has_next) since = page->next;
  count = page->count;
  return kExitOk;
}

}  // namespace

int run_feedback(Session& s) {
  const Options& o = s.opts();
  uint64_t since = o.since;
  size_t count = 0;
  if (const int rc = fetch_page(s, since, true, count); rc != kExitOk) return rc;
  if (!o.follow) {
    if (!o.json) std::fprintf(s.io().out, "next: %llu\n", static_cast<unsigned long long>(since));
    return kExitOk;
  }
  for (;;) {  // until interrupted (SIGINT ends the process)
    std::fflush(s.io().out);
    // A full page (or any page, when the daemon picks the limit) means more
    // may be waiting: ask again at once.
    const bool full = count > 0 && (!o.limit || count >= *o.limit);
    if (!full) std::this_thread::sleep_for(std::chrono::seconds(1));
    if (const int rc = fetch_page(s, since, false, count); rc != kExitOk) return rc;
  }
}

}  // namespace pushgw::ctl
