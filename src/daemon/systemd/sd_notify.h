// systemd notification protocol (sd_notify(3)) behind an injectable function,
// so tests see what the daemon would tell systemd. Without $NOTIFY_SOCKET
// (not under systemd) the real notifier does nothing.
#pragma once
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

namespace pushgw::systemd {

// Receives one newline-separated state string, e.g. "WATCHDOG=1\nSTATUS=...".
using NotifyFn = std::function<void(std::string_view state)>;

// sd_notify(0, state).
NotifyFn systemd_notifier();

// Ping interval systemd expects: half of WatchdogSec (from $WATCHDOG_USEC via
// sd_watchdog_enabled, which also checks $WATCHDOG_PID); 0 when no watchdog.
uint64_t watchdog_interval_ms();

// The lifecycle messages. READY=1 only once the socket listens and
// credentials are loaded; RELOADING=1 ... READY=1 brackets a SIGHUP reload
// (MONOTONIC_USEC lets Type=notify-reload on newer systemd match them up);
// STOPPING=1 when SIGTERM starts the drain. status may be empty.
void notify_ready(const NotifyFn& notify, std::string_view status);
void notify_reloading(const NotifyFn& notify);
void notify_stopping(const NotifyFn& notify, std::string_view status);

// Sockets systemd passed (socket activation), starting at listen_fd_start();
// 0 when none. Unsets $LISTEN_FDS so children do not inherit them.
int listen_fds();
int listen_fd_start();

}  // namespace pushgw::systemd
