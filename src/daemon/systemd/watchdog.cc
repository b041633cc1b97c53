#include "daemon/systemd/watchdog.h"

namespace pushgw::systemd {

Watchdog::Options Watchdog::from_environment(uint64_t fallback_interval_ms) {
  Options o;
  o.interval_ms = watchdog_interval_ms();
  o.ping = o.interval_ms != 0;
  if (!o.ping) o.interval_ms = fallback_interval_ms;
  return o;
}

Watchdog::Watchdog(uv_loop_t* loop, Options opts) : opts_(std::move(opts)), timer_(loop, [this] { check(); }) {
  if (!opts_.notify) opts_.notify = systemd_notifier();
  timer_.unref();  // never the reason the loop stays alive: shutdown must not wait for it
}

void Watchdog::add_source(std::string name, const std::atomic<uint64_t>* turns) {
  sources_.push_back(Source{std::move(name), turns, turns->load(std::memory_order_relaxed)});
}

void Watchdog::start() {
  if (opts_.interval_ms == 0) return;
  // Re-baseline so time spent before start() (config, TLS setup) is not judged.
  for (Source& s : sources_) s.last = s.turns->load(std::memory_order_relaxed);
  timer_.start(opts_.interval_ms, opts_.interval_ms);
}

void Watchdog::stop() { timer_.stop(); }

bool Watchdog::check() {
  std::vector<std::string> stalled;
  for (Source& s : sources_) {
    const uint64_t now = s.turns->load(std::memory_order_relaxed);
    if (now == s.last) stalled.push_back(s.name);
    s.last = now;
  }
  if (stalled != stalled_) {
    if (!stalled.empty()) {
      std::string names;
      for (const auto& n : stalled) names += (names.empty() ? "" : ", ") + n;
      PGW_LOG(opts_.log, Error, "watchdog: loop(s) not turning: %s; withholding WATCHDOG=1", names.c_str());
    } else {
      PGW_LOG(opts_.log, Warn, "watchdog: every loop turns again");
    }
  }
  stalled_ = std::move(stalled);
  const bool ping = opts_.ping && stalled_.empty();
  std::string state = ping ? "WATCHDOG=1" : "";
  if (const std::string status = status_line(); !status.empty()) {
    state += (state.empty() ? "STATUS=" : "\nSTATUS=") + status;
  }
  if (!state.empty()) opts_.notify(state);
  if (ping) ++pings_;
  return ping;
}

std::string Watchdog::status_line() const {
  std::string s = opts_.status ? opts_.status() : std::string();
  if (!stalled_.empty()) {
    s += s.empty() ? "stalled: " : "; stalled: ";
    for (std::size_t i = 0; i < stalled_.size(); ++i) s += (i ? ", " : "") + stalled_[i];
  }
  // One line: a newline would start a new (bogus) assignment.
  for (char& c : s) {
    if (c == '\n') c = ' ';
  }
  return s;
}

}  // namespace pushgw::systemd
