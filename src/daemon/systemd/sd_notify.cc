#include "daemon/systemd/sd_notify.h"

#include <systemd/sd-daemon.h>

#include <ctime>

namespace pushgw::systemd {
namespace {

std::string with_status(std::string_view first, std::string_view status) {
  std::string s(first);
  if (!status.empty()) {
    s += "\nSTATUS=";
    s.append(status);
  }
  return s;
}

}  // namespace

NotifyFn systemd_notifier() {
  return [](std::string_view state) {
    const std::string s(state);  // sd_notify wants a NUL-terminated string
    sd_notify(0, s.c_str());
  };
}

uint64_t watchdog_interval_ms() {
  uint64_t usec = 0;
  if (sd_watchdog_enabled(0, &usec) <= 0 || usec == 0) return 0;
  const uint64_t half_ms = usec / 2000;
  return half_ms == 0 ? 1 : half_ms;
}

void notify_ready(const NotifyFn& notify, std::string_view status) { notify(with_status("READY=1", status)); }

void notify_reloading(const NotifyFn& notify) {
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  const uint64_t usec = static_cast<uint64_t>(ts.tv_sec) * 1000000u + static_cast<uint64_t>(ts.tv_nsec) / 1000u;
  notify("RELOADING=1\nMONOTONIC_USEC=" + std::to_string(usec));
}

void notify_stopping(const NotifyFn& notify, std::string_view status) {
  notify(with_status("STOPPING=1", status));
}

int listen_fds() { return sd_listen_fds(1); }
int listen_fd_start() { return SD_LISTEN_FDS_START; }

}  // namespace pushgw::systemd
