// The one place that knows which database engines exist: opens the one
// [store] backend names and the Store on top of it. The store core
// (store/store.h) knows only the Backend interface (store/backend.h).
#pragma once
#include <memory>

#include "obs/log.h"
#include "pushgw/clock.h"
#include "pushgw/result.h"
#include "store/backend.h"
#include "store/engines/config.h"
#include "store/store.h"
#include "store/types.h"

namespace pushgw::store {

// Opens the engine cfg.backend names (migrating its schema): SQLite at
// cfg.path or PostgreSQL at cfg.dsn. Errors are the engine's own
// (store_path_empty, store_dir_missing, store_open_failed, store_not_wal,
// store_not_pushgw, store_schema_newer, store_migrate_failed).
Result<std::unique_ptr<detail::Backend>> open_backend(const StoreConfig& cfg, const obs::Logger& log);

// open_backend() and Store::open() on it; opt.keep_events_days is taken
// from cfg.
Result<std::unique_ptr<Store>> open_store(const StoreConfig& cfg, int producers, const Clock& clock,
                                          obs::Logger log, StoreOptions opt = {});

}  // namespace pushgw::store
