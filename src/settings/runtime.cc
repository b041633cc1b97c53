// [metrics], [tls], [log]: small sections of plain settings.
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "base/authority.h"
#include "settings/sections.h"

namespace pushgw::settings::detail {
namespace {

// "host:port" or "[v6]:port"; the daemon resolves the host when it binds.
// Port 0: any free port (tests, demo).
bool valid_listen_address(std::string_view s) {
  base::Authority a;
  return base::parse_authority(s, base::kListenAddress, a) == base::UrlError::None;
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
