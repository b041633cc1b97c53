// [store]: parsed here; open_store() applies it.
#include "store/engines/config.h"

#include "store/pg/pg.h"

namespace pushgw::store {

StoreConfig parse_config(config::Section& r) {
  StoreConfig c;
  std::string backend;
  if (r.get("backend", backend)) {
    if (backend == "sqlite") c.backend = StoreBackend::Sqlite;
    else if (backend == "postgres") c.backend = StoreBackend::Postgres;
    else r.error("backend", "must be \"sqlite\" or \"postgres\"");
  }
  if (r.get_path("path", c.path) && c.path.empty()) r.error("path", "must not be empty");
  // The DSN is checked here (syntax, known keywords) but never echoed: it
  // may carry a password.
  const bool has_dsn = r.get("dsn", c.dsn);
  if (c.backend == StoreBackend::Postgres) {
    if (c.dsn.empty()) r.error(has_dsn ? "dsn" : "backend", "backend \"postgres\" needs a non-empty dsn");
    else if (auto problem = detail::dsn_problem(c.dsn); !problem.empty()) r.error("dsn", problem);
  } else if (!c.dsn.empty()) {
    r.error("dsn", "is only used with backend = \"postgres\"");
  }
  r.get_int("keep_events_days", c.keep_events_days, 1, 36500);
  r.get("track_sends", c.track_sends);
  r.get_int("send_flush_ms", c.send_flush_ms, 10, 600'000);
  r.get("send_log", c.send_log);
  r.get_int("send_log_tokens", c.send_log_tokens, 1024, 16'777'216);
  r.get_int("send_log_idle_ms", c.send_log_idle_ms, 1, 86'400'000);
  return c;
}

}  // namespace pushgw::store
