#include "store/engines/open.h"

#include "store/pg/pg_db.h"
#include "store/sqlite/sqlite_db.h"

namespace pushgw::store {

Result<std::unique_ptr<detail::Backend>> open_backend(const StoreConfig& cfg, const obs::Logger& log) {
  switch (cfg.backend) {
    case StoreBackend::Sqlite: {
      auto db = detail::SqliteDb::open(cfg.path, log);
      if (!db) return db.error();
      return std::unique_ptr<detail::Backend>(std::move(*db));
    }
    case StoreBackend::Postgres: {
      auto db = detail::PgDb::open(cfg.dsn, log);
      if (!db) return db.error();
      return std::unique_ptr<detail::Backend>(std::move(*db));
    }
  }
  return make_error("store_bad_argument", "unknown store backend");
}

Result<std::unique_ptr<Store>> open_store(const StoreConfig& cfg, int producers, const Clock& clock,
                                          obs::Logger log, StoreOptions opt) {
  // Checked before connecting, as Store::open would.
  if (producers < 1 || producers > 4096)
    return make_error("store_bad_argument", "producers must be 1..4096, got " + std::to_string(producers));
  auto db = open_backend(cfg, log);
  if (!db) return db.error();
  opt.keep_events_days = cfg.keep_events_days;
  opt.send_flush_ms = cfg.send_flush_ms;
  opt.send_log = cfg.send_log;
  opt.send_log_tokens = static_cast<size_t>(cfg.send_log_tokens);
  opt.send_log_idle_ms = cfg.send_log_idle_ms;
  return Store::open(std::move(*db), producers, clock, std::move(log), opt);
}

}  // namespace pushgw::store
