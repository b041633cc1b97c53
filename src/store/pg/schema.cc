#include "store/pg/schema.h"

#include <string>

#include "store/pg/pg.h"

namespace pushgw::store::detail {

namespace {

// Version 1: the tables of SQLite schema v3 (same columns, same meaning; see
// schema.cc), plus what several instances sharing the database need:
//  - events.seq, suppression_log.seq and marketing_sends.seq are bigserial;
//    their writers hold kPgFeedLock until COMMIT, so seq order is commit
//    order (the feedback change-feed and the followers rely on it).
//  - suppression_log: every change of a token's suppression (invalid /
//    unsubscribed, reactivated, forgotten) with the instance that made it;
//    the others replay it into their in-memory suppression sets. Short-lived:
//    rows older than a day are pruned.
//  - marketing_sends.instance: the others add those sends to their
//    frequency-cap tables.
//  - pushgw_apply_verdicts(): a batch of verdicts applied in order, server
//    side, in one statement (the state transition needs the row's current
//    state under its row lock, which a client-side read-then-write across
//    instances would not give). Its text is kApplyVerdicts below (version 3
//    replaces it).
constexpr const char* kToV1 = R"sql(
CREATE TABLE pushgw_meta(k text PRIMARY KEY, v text NOT NULL);
CREATE TABLE tokens(
  platform smallint NOT NULL,               -- 0 apns, 1 fcm, 2 webpush
  app text NOT NULL,
  token text NOT NULL,                      -- device token or Web Push endpoint; the key (see token_full)
  token_full text,                          -- a token over 1 kB: token holds 'sha256:' || its hex digest
  state smallint NOT NULL DEFAULT 0,        -- 0 active, 1 invalid, 2 unsubscribed
  reason text NOT NULL DEFAULT '',
  since_ms bigint NOT NULL DEFAULT 0,
  sent bigint NOT NULL DEFAULT 0,
  delivered bigint NOT NULL DEFAULT 0,
  failed bigint NOT NULL DEFAULT 0,
  last_sent_at_ms bigint NOT NULL DEFAULT 0,
  last_campaign text NOT NULL DEFAULT '',
  -- A B-tree entry holds at most ~2.7 kB, and a Web Push endpoint or an FCM
  -- condition may be longer: those are keyed by their digest (pg_token.h).
  -- A plain column key: an expression index measured ~1.7x slower upserts.
  PRIMARY KEY(platform, app, token)
) WITH (fillfactor = 80);                   -- room for HOT updates: most writes bump a known token's counters
CREATE INDEX tokens_suppressed ON tokens(state) WHERE state <> 0;
CREATE TABLE events(
  seq bigserial PRIMARY KEY,
  at_ms bigint NOT NULL,
  platform smallint NOT NULL,
  app text NOT NULL,
  token text NOT NULL,
  kind smallint NOT NULL,                   -- 1 invalid, 2 unsubscribed
  reason text NOT NULL DEFAULT '',
  campaign text NOT NULL DEFAULT ''
);
CREATE INDEX events_by_time ON events(at_ms);
CREATE TABLE suppression_log(
  seq bigserial PRIMARY KEY,
  instance bigint NOT NULL,
  logged_at timestamptz NOT NULL DEFAULT now(),
  platform smallint NOT NULL,
  app text NOT NULL,
  token text NOT NULL,
  lift boolean NOT NULL,                    -- false: suppress since ms; true: lift (ms = registered_at, 0 = always)
  ms bigint NOT NULL
);
CREATE INDEX suppression_log_by_time ON suppression_log(logged_at);
CREATE TABLE marketing_sends(
  seq bigserial PRIMARY KEY,
  instance bigint NOT NULL,
  platform smallint NOT NULL,
  app text NOT NULL,
  token text NOT NULL,
  at_ms bigint NOT NULL
);
CREATE INDEX marketing_sends_by_time ON marketing_sends(at_ms);
CREATE TABLE campaigns(
  name text PRIMARY KEY,
  sent bigint NOT NULL DEFAULT 0,
  delivered bigint NOT NULL DEFAULT 0,
  failed bigint NOT NULL DEFAULT 0,
  invalid bigint NOT NULL DEFAULT 0,
  unsubscribed bigint NOT NULL DEFAULT 0,
  suppressed bigint NOT NULL DEFAULT 0,
  capped bigint NOT NULL DEFAULT 0,
  expired bigint NOT NULL DEFAULT 0,
  opened bigint NOT NULL DEFAULT 0,
  clicked bigint NOT NULL DEFAULT 0,
  converted bigint NOT NULL DEFAULT 0
);
CREATE TABLE engagement(
  seq bigserial PRIMARY KEY,
  at_ms bigint NOT NULL,
  campaign text NOT NULL,
  platform smallint NOT NULL,
  app text NOT NULL,
  token text NOT NULL,
  kind smallint NOT NULL                    -- 0 open, 1 click, 2 conversion
);
)sql";

// pushgw_apply_verdicts() as it is now: created by version 1, and again by
// version 3, which replaces the one an older pushgw created at version 1
// (that one set tokens.last_sent_at_ms to the verdict's send time even when
// a later send had been written). Only the function changes; rows keep what
// they hold.
constexpr const char* kApplyVerdicts = R"sql(
-- kinds[i]: 0 reactivated (sinces[i] = registered_at, 0 = none), 1 invalid,
-- 2 unsubscribed (sinces[i] = provider timestamp, 0 = use ats[i]).
-- toks[i]: the token's key; fulls[i]: the token when the key is a digest,
-- else ''. Returns what the batch changed in the token/state/event counts.
CREATE OR REPLACE FUNCTION pushgw_apply_verdicts(inst bigint, kinds smallint[], plats smallint[], apps text[],
    toks text[], fulls text[], reasons text[], sinces bigint[], ats bigint[], camps text[],
    OUT d_tokens bigint, OUT d_invalid bigint, OUT d_unsubscribed bigint, OUT d_events bigint)
LANGUAGE plpgsql AS $fn$
DECLARE
  prev smallint;
  prev_since bigint;
  nxt smallint;
  v_since bigint;
  v_token text;                             -- the token itself, for the feed and the log
BEGIN
  d_tokens := 0; d_invalid := 0; d_unsubscribed := 0; d_events := 0;
  FOR i IN 1 .. coalesce(array_length(kinds, 1), 0) LOOP
    v_token := CASE WHEN fulls[i] = '' THEN toks[i] ELSE fulls[i] END;
    SELECT t.state, t.since_ms INTO prev, prev_since FROM tokens t
      WHERE t.platform = plats[i] AND t.app = apps[i] AND t.token = toks[i] FOR UPDATE;
    IF kinds[i] = 0 THEN
      -- Only an invalid/unsubscribed token older than the registration goes back.
      CONTINUE WHEN NOT FOUND OR prev = 0 OR (sinces[i] > 0 AND prev_since >= sinces[i]);
      UPDATE tokens t SET state = 0, reason = '',
          since_ms = CASE WHEN sinces[i] > 0 THEN sinces[i] ELSE ats[i] END
        WHERE t.platform = plats[i] AND t.app = apps[i] AND t.token = toks[i];
      IF prev = 1 THEN d_invalid := d_invalid - 1; ELSE d_unsubscribed := d_unsubscribed - 1; END IF;
      INSERT INTO suppression_log(instance, platform, app, token, lift, ms)
        VALUES (inst, plats[i], apps[i], v_token, true, sinces[i]);
      CONTINUE;
    END IF;
    nxt := kinds[i];
    v_since := CASE WHEN sinces[i] > 0 THEN sinces[i] ELSE ats[i] END;
    IF NOT FOUND THEN
      INSERT INTO tokens(platform, app, token, token_full, state, reason, since_ms, sent, last_sent_at_ms,
          last_campaign)
        VALUES (plats[i], apps[i], toks[i], nullif(fulls[i], ''), nxt, reasons[i], v_since, 1, ats[i], camps[i])
        ON CONFLICT (platform, app, token) DO NOTHING;
      IF FOUND THEN
        d_tokens := d_tokens + 1;
        prev := -1;
      ELSE  -- another instance inserted it after our SELECT
        SELECT t.state INTO prev FROM tokens t
          WHERE t.platform = plats[i] AND t.app = apps[i] AND t.token = toks[i] FOR UPDATE;
      END IF;
    END IF;
    IF prev >= 0 THEN
      -- last_sent_at only moves forward and last_campaign goes with it, as
      -- in kPgUpsertSends: a verdict may commit after a later send of the
      -- token was written (another instance, or this clock stepped back).
      UPDATE tokens t SET sent = t.sent + 1, last_sent_at_ms = greatest(t.last_sent_at_ms, ats[i]),
          last_campaign = CASE WHEN ats[i] >= t.last_sent_at_ms THEN camps[i] ELSE t.last_campaign END, state = nxt,
          reason = CASE WHEN prev <> nxt THEN reasons[i] ELSE t.reason END,
          since_ms = CASE WHEN prev <> nxt THEN v_since ELSE t.since_ms END
        WHERE t.platform = plats[i] AND t.app = apps[i] AND t.token = toks[i];
    END IF;
    CONTINUE WHEN prev = nxt;
    IF prev = 1 THEN d_invalid := d_invalid - 1; ELSIF prev = 2 THEN d_unsubscribed := d_unsubscribed - 1; END IF;
    IF nxt = 1 THEN d_invalid := d_invalid + 1; ELSE d_unsubscribed := d_unsubscribed + 1; END IF;
    INSERT INTO events(at_ms, platform, app, token, kind, reason, campaign)
      VALUES (ats[i], plats[i], apps[i], v_token, nxt, reasons[i], camps[i]);
    d_events := d_events + 1;
    INSERT INTO suppression_log(instance, platform, app, token, lift, ms)
      VALUES (inst, plats[i], apps[i], v_token, false, v_since);
  END LOOP;
END
$fn$;
)sql";

// Version 2: scheduled sends (store/scheduled.h; the columns of SQLite's
// v4). Instances claim due rows with FOR UPDATE SKIP LOCKED and a lease
// (claimed_until_ms), so each row is handed out once.
constexpr const char* kToV2 = R"sql(
CREATE TABLE scheduled(
  id bigint PRIMARY KEY,
  due_ms bigint NOT NULL,
  schedule_key text NOT NULL DEFAULT '',
  expires_at_ms bigint NOT NULL DEFAULT 0,
  campaign text NOT NULL DEFAULT '',
  platform smallint NOT NULL,
  app text NOT NULL,
  recipients bigint NOT NULL,
  quiet_hours boolean NOT NULL DEFAULT false,
  created_ms bigint NOT NULL,
  claimed_until_ms bigint NOT NULL DEFAULT 0,
  line text NOT NULL
);
CREATE INDEX scheduled_by_due ON scheduled(due_ms);
CREATE INDEX scheduled_by_key ON scheduled(schedule_key, due_ms) WHERE schedule_key <> '';
CREATE INDEX scheduled_claimed ON scheduled(claimed_until_ms) WHERE claimed_until_ms > 0;
)sql";

// Each step: the SQL parts it runs, in order, in one transaction.
struct Step {
  const char* parts[2];
};
constexpr Step kSteps[] = {{{kToV1, kApplyVerdicts}}, {{kToV2, nullptr}}, {{kApplyVerdicts, nullptr}}};
static_assert(sizeof(kSteps) / sizeof(kSteps[0]) == kPgSchemaVersion);

// Our table names, to tell an empty database from someone else's.
constexpr const char* kProbe =
    "SELECT to_regclass('pushgw_meta') IS NOT NULL, to_regclass('tokens') IS NOT NULL OR"
    " to_regclass('events') IS NOT NULL OR to_regclass('campaigns') IS NOT NULL";

Result<int> found_version(PGconn* c) {
  PgResultPtr probe(PQexec(c, kProbe));
  if (!probe || PQresultStatus(probe.get()) != PGRES_TUPLES_OK)
    return pg_result_error(probe.get(), "store_open_failed", "schema probe");
  const bool has_meta = pg_view(probe.get(), 0, 0) == "t";
  const bool has_ours = pg_view(probe.get(), 0, 1) == "t";
  if (!has_meta) {
    if (has_ours) return make_error("store_not_pushgw", "the database has tables named like pushgw's but no pushgw_meta");
    return 0;
  }
  PgResultPtr v(PQexec(c, "SELECT v FROM pushgw_meta WHERE k = 'schema_version'"));
  if (!v || PQresultStatus(v.get()) != PGRES_TUPLES_OK)
    return pg_result_error(v.get(), "store_open_failed", "schema version");
  if (PQntuples(v.get()) != 1) return make_error("store_not_pushgw", "pushgw_meta holds no schema_version");
  return static_cast<int>(pg_i64(v.get(), 0, 0));
}

Result<void> run_step(PGconn* c, int to_version) {
  std::string sql = "BEGIN;\n";
  for (const char* part : kSteps[to_version - 1].parts)
    if (part != nullptr) sql += part;
  sql += "INSERT INTO pushgw_meta(k, v) VALUES('schema_version', '" + std::to_string(to_version) +
         "') ON CONFLICT (k) DO UPDATE SET v = excluded.v;\nCOMMIT;";
  if (auto r = pg_exec(c, sql.c_str(), "store_migrate_failed"); !r) {
    (void)pg_exec(c, "ROLLBACK");
    return make_error("store_migrate_failed",
                      "migration to schema v" + std::to_string(to_version) + ": " + r.error().message);
  }
  return ok();
}

Result<int> migrate_locked(PGconn* c, const obs::Logger& log) {
  auto found = found_version(c);
  if (!found) return found.error();
  if (*found > kPgSchemaVersion)
    return make_error("store_schema_newer", "schema v" + std::to_string(*found) +
                                                " was written by a newer pushgw (this one knows v" +
                                                std::to_string(kPgSchemaVersion) + ")");
  for (int v = *found + 1; v <= kPgSchemaVersion; ++v) {
    if (auto r = run_step(c, v); !r) return r.error();
    if (*found > 0) PGW_LOG(log, Info, "store schema migrated to v%d", v);
  }
  return *found;
}

}  // namespace

Result<int> pg_migrate(PGconn* c, const obs::Logger& log) {
  const std::string lock = "SELECT pg_advisory_lock(" + std::to_string(kPgMigrateLock) + ")";
  const std::string unlock = "SELECT pg_advisory_unlock(" + std::to_string(kPgMigrateLock) + ")";
  if (auto r = pg_exec(c, lock.c_str(), "store_open_failed"); !r) return r.error();
  auto found = migrate_locked(c, log);
  (void)pg_exec(c, unlock.c_str());
  return found;
}

}  // namespace pushgw::store::detail
