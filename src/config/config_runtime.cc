// [store], [metrics], [tls], [log], [delivery]: small sections of plain settings.
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include <libpq-fe.h>

#include "config/sections.h"

namespace pushgw::config::detail {
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

// "" when libpq accepts the connection string. Only libpq's message naming
// an unknown keyword is passed on: its other messages quote the string,
// which may hold a password.
std::string dsn_problem(const std::string& dsn) {
  char* err = nullptr;
  PQconninfoOption* opts = PQconninfoParse(dsn.c_str(), &err);
  std::string problem;
  if (opts == nullptr) {
    const std::string_view msg = err ? err : "";
    problem = msg.starts_with("invalid connection option")
                  ? std::string(msg.substr(0, msg.find('\n')))
                  : "not a valid libpq connection string (key=value pairs or a postgresql:// URI)";
  }
  PQconninfoFree(opts);
  PQfreemem(err);
  return problem;
}

}  // namespace

void parse_store(Section& r, Config& cfg) {
  std::string backend;
  if (r.get("backend", backend)) {
    if (backend == "sqlite") cfg.store.backend = StoreBackend::Sqlite;
    else if (backend == "postgres") cfg.store.backend = StoreBackend::Postgres;
    else r.error("backend", "must be \"sqlite\" or \"postgres\"");
  }
  if (r.get_path("path", cfg.store.path) && cfg.store.path.empty()) r.error("path", "must not be empty");
  // The DSN is checked here (syntax, known keywords) but never echoed: it
  // may carry a password.
  const bool has_dsn = r.get("dsn", cfg.store.dsn);
  if (cfg.store.backend == StoreBackend::Postgres) {
    if (cfg.store.dsn.empty()) r.error(has_dsn ? "dsn" : "backend", "backend \"postgres\" needs a non-empty dsn");
    else if (auto problem = dsn_problem(cfg.store.dsn); !problem.empty()) r.error("dsn", problem);
  } else if (!cfg.store.dsn.empty()) {
    r.error("dsn", "is only used with backend = \"postgres\"");
  }
  r.get_int("keep_events_days", cfg.store.keep_events_days, 1, 36500);
  r.get("track_sends", cfg.store.track_sends);
}

void parse_metrics(Section& r, Config& cfg) {
  if (r.get("listen", cfg.metrics.listen) && !cfg.metrics.listen.empty() &&
      !valid_listen_address(cfg.metrics.listen)) {
    r.error("listen", "must be \"host:port\" (\"[addr]:port\" for IPv6) or \"\" to disable");
  }
}

void parse_tls(Section& r, Config& cfg) {
  if (!r.get_path("ca_file", cfg.tls.ca_file) || cfg.tls.ca_file.empty()) return;
  // Trust anchors are public; only check they can be read so a typo fails at load.
  if (r.read_files() && access(cfg.tls.ca_file.c_str(), R_OK) != 0) {
    r.error("ca_file", "cannot read " + cfg.tls.ca_file + ": " + std::strerror(errno));
  }
}

void parse_log(Section& r, Config& cfg) {
  std::string level;
  if (r.get("level", level)) {
    if (level != "debug" && level != "info" && level != "warn" && level != "error") {
      r.error("level", "must be one of \"debug\", \"info\", \"warn\", \"error\"");
    } else {
      cfg.log.level = level;
    }
  }
  std::string format;
  if (r.get("format", format)) {
    if (format != "text" && format != "json") {
      r.error("format", "must be \"text\" or \"json\"");
    } else {
      cfg.log.format = format;
    }
  }
}

void parse_delivery(Section& r, Config& cfg) {
  constexpr int64_t kDayMs = 86'400'000;
  DeliveryConfig& d = cfg.delivery;
  r.get_int("max_attempts", d.max_attempts, 1, 100);
  r.get_int("max_retry_seconds", d.max_retry_seconds, 1, 7 * 86400);
  r.get_int("request_timeout_ms", d.request_timeout_ms, 1, kDayMs);
  r.get_int("connect_timeout_ms", d.connect_timeout_ms, 1, kDayMs);
  r.get_int("ping_interval_ms", d.ping_interval_ms, 1, kDayMs);
  r.get_int("idle_timeout_ms", d.idle_timeout_ms, 1, kDayMs);
}

}  // namespace pushgw::config::detail
