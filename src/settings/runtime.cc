// [metrics], [tls], [log]: small sections of plain settings.
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "settings/sections.h"

namespace pushgw::settings::detail {
namespace {

bool all_digits(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
  }
  return true;
}

// "host:port" or "[v6]:port"; the daemon resolves the host when it binds.
bool valid_listen_address(std::string_view s) {
  const auto colon = s.rfind(':');
  if (colon == std::string_view::npos || colon == 0) return false;
  const std::string_view host = s.substr(0, colon);
  const std::string_view port = s.substr(colon + 1);
  if (!all_digits(port) || port.size() > 5) return false;
  const int p = std::stoi(std::string(port));
  if (p < 0 || p > 65535) return false;  // 0: any free port (tests, demo)
  if (host.front() == '[') return host.size() > 2 && host.back() == ']';
  return host.find(':') == std::string_view::npos;
}

}  // namespace

void parse_metrics(config::Section& r, MetricsConfig& m) {
  if (r.get("listen", m.listen) && !m.listen.empty() &&
      !valid_listen_address(m.listen)) {
    r.error("listen", "must be \"host:port\" (\"[addr]:port\" for IPv6) or \"\" to disable");
  }
}

void parse_tls(config::Section& r, TlsConfig& t) {
  if (!r.get_path("ca_file", t.ca_file) || t.ca_file.empty()) return;
  // Trust anchors are public; only check they can be read so a typo fails at load.
  if (r.read_files() && access(t.ca_file.c_str(), R_OK) != 0) {
    r.error("ca_file", "cannot read " + t.ca_file + ": " + std::strerror(errno));
  }
}

void parse_log(config::Section& r, LogConfig& l) {
  std::string level;
  if (r.get("level", level)) {
    if (level != "debug" && level != "info" && level != "warn" && level != "error") {
      r.error("level", "must be one of \"debug\", \"info\", \"warn\", \"error\"");
    } else {
      l.level = level;
    }
  }
  std::string format;
  if (r.get("format", format)) {
    if (format != "text" && format != "json") {
      r.error("format", "must be \"text\" or \"json\"");
    } else {
      l.format = format;
    }
  }
}

}  // namespace pushgw::settings::detail
