// The SQLite backend's on-disk schema and its forward migrations.
//
// The schema version lives in PRAGMA user_version; PRAGMA application_id marks
// the file as ours. A new database is created by running every migration from
// version 0, so a fresh file and an upgraded one have exactly the same schema.
// Each step runs in its own IMMEDIATE transaction with its user_version bump,
// so a crash leaves the file at the previous or the next version, never between.
#pragma once
#include <sqlite3.h>

#include <cstdint>

#include "obs/log.h"
#include "pushgw/result.h"

namespace pushgw::store::detail {

inline constexpr int kSchemaVersion = 5;
inline constexpr int32_t kApplicationId = 0x50475744;  // "PGWD"

// Brings db to kSchemaVersion. Returns the version found before migrating
// (0 for a new file). Errors: store_not_pushgw (some other application's
// database), store_schema_newer (written by a newer pushgw: refuse rather than
// guess), store_migrate_failed.
Result<int> migrate(sqlite3* db, const obs::Logger& log);

}  // namespace pushgw::store::detail
