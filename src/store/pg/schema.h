// The PostgreSQL backend's schema and its forward migrations.
//
// The version lives in pushgw_meta ('schema_version'). A new database is
// created by running every migration from version 0, so a fresh database and
// an upgraded one have the same schema. Each step runs in its own transaction
// with its version bump, and all of them under a session advisory lock, so
// several daemons starting at once against one database migrate it once.
#pragma once
#include <libpq-fe.h>

#include <cstdint>

#include "obs/log.h"
#include "pushgw/result.h"

namespace pushgw::store::detail {

inline constexpr int kPgSchemaVersion = 3;

// Advisory lock keys (one namespace per database): schema migration, and the
// writers of the change-followed tables (events, suppression_log,
// marketing_sends). Holding the second from the first such insert to COMMIT
// makes `seq` order equal commit order, so a reader that has seen seq N
// never later finds a newly committed row below N.
inline constexpr int64_t kPgMigrateLock = 0x5047574400000001;  // "PGWD" 1
inline constexpr int64_t kPgFeedLock = 0x5047574400000002;     // "PGWD" 2

// Brings the database to kPgSchemaVersion. Returns the version found before
// migrating (0 for a new database). Errors: store_not_pushgw (our table names
// exist without pushgw_meta), store_schema_newer, store_migrate_failed.
Result<int> pg_migrate(PGconn* c, const obs::Logger& log);

}  // namespace pushgw::store::detail
