// Liveness for systemd's WatchdogSec: WATCHDOG=1 is sent only while every
// registered loop is turning.
//
// Each loop (main, every sender, anything else that must not hang) owns a
// std::atomic<uint64_t> turn counter that its own periodic timer increments
// (a timer period well under the check interval, e.g. 1 s). The Watchdog runs
// a timer on the main loop; at each check it sends "WATCHDOG=1" only if every
// counter moved since the previous check. A stuck sender loop therefore stops
// the pings and systemd restarts the service after WatchdogSec; a stuck main
// loop stops them too, because the check itself runs there. Every check also
// sends STATUS= with the status callback's summary (and names stalled loops).
//
// Threading: everything here runs on the loop thread given to the
// constructor; the counters are only read (relaxed). The timer (loop::Timer)
// is unref'd so it never keeps the loop alive during shutdown; destroying the
// Watchdog closes it (safe from any callback on that loop).
//
// Part of the daemon's systemd glue (with sd_notify.h): only pushgwd links
// libsystemd.
#pragma once
#include <uv.h>

#include <atomic>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "daemon/systemd/sd_notify.h"
#include "loop/timer.h"
#include "obs/log.h"

namespace pushgw::systemd {

class Watchdog {
 public:
  struct Options {
    uint64_t interval_ms = 0;  // check period; 0 = never check (start() does nothing)
    bool ping = true;          // send WATCHDOG=1 (false: STATUS= only, systemd has no watchdog)
    NotifyFn notify;           // default: systemd_notifier()
    std::function<std::string()> status;  // live counter summary for STATUS=; may be empty
    obs::Logger log;           // a stall and its recovery are logged once each
  };
  // Options for running under systemd: interval = WatchdogSec/2 when the
  // watchdog is on; else STATUS= every fallback_interval_ms without pings.
  static Options from_environment(uint64_t fallback_interval_ms = 5000);

  Watchdog(uv_loop_t* loop, Options opts);
  Watchdog(const Watchdog&) = delete;
  Watchdog& operator=(const Watchdog&) = delete;

  // turns must stay valid for the Watchdog's lifetime. Register every source
  // before start(); a source added later is first judged one check after.
  void add_source(std::string name, const std::atomic<uint64_t>* turns);
  // Arms the timer (no-op when interval_ms is 0). Safe to call twice.
  void start();
  void stop();

  // One check, exactly as the timer runs it; returns whether WATCHDOG=1 went out.
  bool check();

  // Names of the sources that did not move at the last check.
  const std::vector<std::string>& stalled() const { return stalled_; }
  uint64_t pings() const { return pings_; }

 private:
  struct Source {
    std::string name;
    const std::atomic<uint64_t>* turns;
    uint64_t last;
  };
  std::string status_line() const;

  Options opts_;
  std::vector<Source> sources_;
  std::vector<std::string> stalled_;
  uint64_t pings_ = 0;
  loop::Timer timer_;
};

}  // namespace pushgw::systemd
