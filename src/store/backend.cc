// The one place that knows which engines exist.
#include "store/backend.h"

#include "store/pg_db.h"
#include "store/sqlite_db.h"

namespace pushgw::store::detail {

Result<std::unique_ptr<Backend>> open_backend(const config::StoreConfig& cfg, const obs::Logger& log) {
  switch (cfg.backend) {
    case config::StoreBackend::Sqlite: {
      auto db = SqliteDb::open(cfg.path, log);
      if (!db) return db.error();
      return std::unique_ptr<Backend>(std::move(*db));
    }
    case config::StoreBackend::Postgres: {
      auto db = PgDb::open(cfg.dsn, log);
      if (!db) return db.error();
      return std::unique_ptr<Backend>(std::move(*db));
    }
  }
  return make_error("store_bad_argument", "unknown store backend");
}

}  // namespace pushgw::store::detail
