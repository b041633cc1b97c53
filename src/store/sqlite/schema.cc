#include "store/sqlite/schema.h"

#include <string>

#include "store/sqlite/stmt.h"

namespace pushgw::store::detail {

namespace {

// Version 1: the first release. Kept verbatim: it is what old files contain.
constexpr const char* kToV1 = R"sql(
CREATE TABLE tokens(
  platform INTEGER NOT NULL,                -- 0 apns, 1 fcm, 2 webpush
  app TEXT NOT NULL,
  token TEXT NOT NULL,                      -- device token, or Web Push endpoint
  state INTEGER NOT NULL DEFAULT 0,         -- 0 active, 1 invalid, 2 unsubscribed
  reason TEXT NOT NULL DEFAULT '',
  since_ms INTEGER NOT NULL DEFAULT 0,      -- in this state since (APNs 410: Apple's timestamp)
  sent INTEGER NOT NULL DEFAULT 0,
  delivered INTEGER NOT NULL DEFAULT 0,
  last_sent_at_ms INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY(platform, app, token)
) WITHOUT ROWID;
CREATE TABLE events(
  seq INTEGER PRIMARY KEY AUTOINCREMENT,    -- AUTOINCREMENT: a pruned seq is never reused
  at_ms INTEGER NOT NULL,
  platform INTEGER NOT NULL,
  app TEXT NOT NULL,
  token TEXT NOT NULL,
  kind INTEGER NOT NULL,                    -- 1 invalid, 2 unsubscribed
  reason TEXT NOT NULL DEFAULT '',
  campaign TEXT NOT NULL DEFAULT ''
);
)sql";

// Version 2: per-token failure count and last campaign; a partial covering
// index of suppressed tokens (start-up loads the suppression set and counts
// states from it without scanning every token); an index for retention
// pruning by time; a small key/value table (the commit barrier writes its
// heartbeat there).
constexpr const char* kToV2 = R"sql(
ALTER TABLE tokens ADD COLUMN failed INTEGER NOT NULL DEFAULT 0;
ALTER TABLE tokens ADD COLUMN last_campaign TEXT NOT NULL DEFAULT '';
CREATE INDEX tokens_suppressed ON tokens(state, since_ms) WHERE state <> 0;
CREATE INDEX events_by_time ON events(at_ms);
CREATE TABLE meta(k TEXT PRIMARY KEY NOT NULL, v) WITHOUT ROWID;
)sql";

// Version 3: campaign policy. Admitted marketing sends per recipient (the
// frequency caps' rolling windows are rebuilt from it at start); per-campaign
// counters; engagement events (opens, clicks, conversions).
constexpr const char* kToV3 = R"sql(
CREATE TABLE marketing_sends(
  platform INTEGER NOT NULL,
  app TEXT NOT NULL,
  token TEXT NOT NULL,
  at_ms INTEGER NOT NULL
);
CREATE INDEX marketing_sends_by_time ON marketing_sends(at_ms);
CREATE TABLE campaigns(
  name TEXT PRIMARY KEY NOT NULL,
  sent INTEGER NOT NULL DEFAULT 0,
  delivered INTEGER NOT NULL DEFAULT 0,
  failed INTEGER NOT NULL DEFAULT 0,
  invalid INTEGER NOT NULL DEFAULT 0,
  unsubscribed INTEGER NOT NULL DEFAULT 0,
  suppressed INTEGER NOT NULL DEFAULT 0,
  capped INTEGER NOT NULL DEFAULT 0,
  expired INTEGER NOT NULL DEFAULT 0,
  opened INTEGER NOT NULL DEFAULT 0,
  clicked INTEGER NOT NULL DEFAULT 0,
  converted INTEGER NOT NULL DEFAULT 0
) WITHOUT ROWID;
CREATE TABLE engagement(
  seq INTEGER PRIMARY KEY,
  at_ms INTEGER NOT NULL,
  campaign TEXT NOT NULL,
  platform INTEGER NOT NULL,
  app TEXT NOT NULL,
  token TEXT NOT NULL,
  kind INTEGER NOT NULL                     -- 0 open, 1 click, 2 conversion
);
)sql";

// Version 4: scheduled sends (campaign policy; store/scheduled.h). id is the
// caller's (a hash of the request and group, so a retried insert is a no-op);
// claimed_until_ms is the lease of whoever is sending the row (0 = none).
constexpr const char* kToV4 = R"sql(
CREATE TABLE scheduled(
  id INTEGER PRIMARY KEY,
  due_ms INTEGER NOT NULL,
  schedule_key TEXT NOT NULL DEFAULT '',
  expires_at_ms INTEGER NOT NULL DEFAULT 0,
  campaign TEXT NOT NULL DEFAULT '',
  platform INTEGER NOT NULL,
  app TEXT NOT NULL,
  recipients INTEGER NOT NULL,
  quiet_hours INTEGER NOT NULL DEFAULT 0,
  created_ms INTEGER NOT NULL,
  claimed_until_ms INTEGER NOT NULL DEFAULT 0,
  line TEXT NOT NULL
);
CREATE INDEX scheduled_by_due ON scheduled(due_ms);
CREATE INDEX scheduled_by_key ON scheduled(schedule_key, due_ms) WHERE schedule_key <> '';
CREATE INDEX scheduled_claimed ON scheduled(claimed_until_ms) WHERE claimed_until_ms > 0;
)sql";

// Version 5: the send log (store/send_log.h). Flushes of the per-token send
// counters as blobs, written into the token rows later; and the tokens
// forgotten while entries up to upto_seq still held counts of theirs.
constexpr const char* kToV5 = R"sql(
CREATE TABLE send_log(
  seq INTEGER PRIMARY KEY,
  rows INTEGER NOT NULL,
  body BLOB NOT NULL
);
CREATE TABLE send_log_forgets(
  platform INTEGER NOT NULL,
  app TEXT NOT NULL,
  token TEXT NOT NULL,
  upto_seq INTEGER NOT NULL
);
CREATE INDEX send_log_forgets_by_seq ON send_log_forgets(upto_seq);
)sql";

constexpr const char* kSteps[] = {kToV1, kToV2, kToV3, kToV4, kToV5};
static_assert(sizeof(kSteps) / sizeof(kSteps[0]) == kSchemaVersion);

Result<int64_t> pragma_int(sqlite3* db, const char* sql) {
  auto st = Stmt::prepare(db, sql);
  if (!st) return st.error();
  auto u = st->use();
  if (u.step() != SQLITE_ROW) return sql_error(db, "store_open_failed", sql);
  return u.i64(0);
}

Result<void> run_step(sqlite3* db, int to_version) {
  if (auto r = exec(db, "BEGIN IMMEDIATE"); !r) return r;
  std::string sql = kSteps[to_version - 1];
  if (to_version == 1) sql += "PRAGMA application_id = " + std::to_string(kApplicationId) + ";";
  sql += "PRAGMA user_version = " + std::to_string(to_version) + ";";
  if (auto r = exec(db, sql.c_str()); !r) {
    (void)exec(db, "ROLLBACK");
    return make_error("store_migrate_failed",
                      "migration to schema v" + std::to_string(to_version) + ": " + r.error().message);
  }
  if (auto r = exec(db, "COMMIT"); !r) {
    (void)exec(db, "ROLLBACK");
    return make_error("store_migrate_failed", "commit of schema v" + std::to_string(to_version) + ": " +
                                                  r.error().message);
  }
  return ok();
}

}  // namespace

Result<int> migrate(sqlite3* db, const obs::Logger& log) {
  auto version = pragma_int(db, "PRAGMA user_version");
  if (!version) return version.error();
  auto app_id = pragma_int(db, "PRAGMA application_id");
  if (!app_id) return app_id.error();
  auto objects = pragma_int(db, "SELECT count(*) FROM sqlite_schema");
  if (!objects) return objects.error();

  const int found = static_cast<int>(*version);
  if ((*app_id != 0 && *app_id != kApplicationId) || (found == 0 && *objects != 0))
    return make_error("store_not_pushgw", "the file holds a database that pushgw did not create");
  if (found > kSchemaVersion)
    return make_error("store_schema_newer", "schema v" + std::to_string(found) +
                                                " was written by a newer pushgw (this one knows v" +
                                                std::to_string(kSchemaVersion) + ")");
  for (int v = found + 1; v <= kSchemaVersion; ++v) {
    if (auto r = run_step(db, v); !r) return r.error();
    if (found > 0) PGW_LOG(log, Info, "store schema migrated to v%d", v);
  }
  return found;
}

}  // namespace pushgw::store::detail
