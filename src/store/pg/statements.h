// The PostgreSQL backend's prepared statements (prepared once per
// connection). Arrays travel as text literals and are unnest()ed, so one
// statement writes a whole batch.
#pragma once
#include <cstdint>

namespace pushgw::store::detail {

struct PgStatement {
  const char* name;
  const char* sql;
};

inline constexpr const char* kPgFeedLockStmt = "feed_lock";
inline constexpr const char* kPgUpsertSends = "upsert_sends";
inline constexpr const char* kPgApplyVerdicts = "apply_verdicts";
inline constexpr const char* kPgInsertMarketing = "insert_marketing";
inline constexpr const char* kPgUpsertCampaigns = "upsert_campaigns";
inline constexpr const char* kPgInsertEngagement = "insert_engagement";
inline constexpr const char* kPgHeartbeat = "heartbeat";
inline constexpr const char* kPgGetToken = "get_token";
inline constexpr const char* kPgGetEvents = "get_events";
inline constexpr const char* kPgGetCampaign = "get_campaign";
inline constexpr const char* kPgForget = "forget";
inline constexpr const char* kPgPruneEvents = "prune_events";
inline constexpr const char* kPgPruneLog = "prune_log";
inline constexpr const char* kPgFollowLog = "follow_log";
inline constexpr const char* kPgFollowMarketing = "follow_marketing";
inline constexpr const char* kPgMaxLog = "max_log";
inline constexpr const char* kPgMaxMarketing = "max_marketing";
inline constexpr const char* kPgSuppressed = "suppressed";
inline constexpr const char* kPgMarketing = "marketing";
inline constexpr const char* kPgInsertScheduled = "insert_scheduled";
inline constexpr const char* kPgClaimScheduled = "claim_scheduled";
inline constexpr const char* kPgNextScheduled = "next_scheduled";
inline constexpr const char* kPgFinishScheduled = "finish_scheduled";
inline constexpr const char* kPgReleaseScheduled = "release_scheduled";
inline constexpr const char* kPgCancelScheduled = "cancel_scheduled";
inline constexpr const char* kPgListScheduled = "list_scheduled";

#define PUSHGW_PG_SCHEDULED_COLUMNS \
  "id, due_ms, schedule_key, expires_at_ms, campaign, platform, app, recipients, quiet_hours, created_ms, line"

// Rows a follow() reads per table at most (the rest comes next time).
inline constexpr int64_t kPgFollowLimit = 10000;

inline constexpr PgStatement kPgStatements[] = {
    // kPgFeedLock (pg_schema.h), held to COMMIT.
    {kPgFeedLockStmt, "SELECT pg_advisory_xact_lock(5784688195950084098)"},
    // One row per token (the caller merges duplicates); counts the inserts.
    // Columns: platform, app, token key, token_full ('' = none), since_ms,
    // sent, delivered, failed, last_sent_at_ms, last_campaign.
    {kPgUpsertSends,
     "WITH up AS (INSERT INTO tokens AS t(platform, app, token, token_full, since_ms, sent, delivered, failed,"
     " last_sent_at_ms, last_campaign) SELECT p, a, k, nullif(f, ''), s, n, d, x, l, c"
     " FROM unnest($1::smallint[], $2::text[], $3::text[], $4::text[], $5::bigint[], $6::bigint[], $7::bigint[],"
     " $8::bigint[], $9::bigint[], $10::text[]) AS u(p, a, k, f, s, n, d, x, l, c)"
     " ON CONFLICT (platform, app, token) DO UPDATE SET sent = t.sent + excluded.sent,"
     " delivered = t.delivered + excluded.delivered, failed = t.failed + excluded.failed,"
     " last_sent_at_ms = greatest(t.last_sent_at_ms, excluded.last_sent_at_ms),"
     " last_campaign = CASE WHEN excluded.last_sent_at_ms >= t.last_sent_at_ms THEN excluded.last_campaign"
     " ELSE t.last_campaign END"
     " RETURNING (xmax = 0) AS inserted)"
     " SELECT count(*) FILTER (WHERE inserted) FROM up"},
    {kPgApplyVerdicts,
     "SELECT * FROM pushgw_apply_verdicts($1, $2::smallint[], $3::smallint[], $4::text[], $5::text[], $6::text[],"
     " $7::text[], $8::bigint[], $9::bigint[], $10::text[])"},
    {kPgInsertMarketing,
     "INSERT INTO marketing_sends(instance, platform, app, token, at_ms)"
     " SELECT $1, * FROM unnest($2::smallint[], $3::text[], $4::text[], $5::bigint[])"},
    {kPgUpsertCampaigns,
     "INSERT INTO campaigns AS c(name, sent, delivered, failed, invalid, unsubscribed, suppressed, capped, expired,"
     " opened, clicked, converted) SELECT * FROM unnest($1::text[], $2::bigint[], $3::bigint[], $4::bigint[],"
     " $5::bigint[], $6::bigint[], $7::bigint[], $8::bigint[], $9::bigint[], $10::bigint[], $11::bigint[],"
     " $12::bigint[])"
     " ON CONFLICT (name) DO UPDATE SET sent = c.sent + excluded.sent, delivered = c.delivered + excluded.delivered,"
     " failed = c.failed + excluded.failed, invalid = c.invalid + excluded.invalid,"
     " unsubscribed = c.unsubscribed + excluded.unsubscribed, suppressed = c.suppressed + excluded.suppressed,"
     " capped = c.capped + excluded.capped, expired = c.expired + excluded.expired,"
     " opened = c.opened + excluded.opened, clicked = c.clicked + excluded.clicked,"
     " converted = c.converted + excluded.converted"},
    {kPgInsertEngagement,
     "INSERT INTO engagement(at_ms, campaign, platform, app, token, kind)"
     " SELECT * FROM unnest($1::bigint[], $2::text[], $3::smallint[], $4::text[], $5::text[], $6::smallint[])"},
    // Makes a transaction write WAL (and take an xid) without touching a
    // row, so that its synchronous COMMIT flushes, covering every earlier
    // asynchronous one. Logical decoding consumers see a 'pushgw' message.
    {kPgHeartbeat, "SELECT pg_logical_emit_message(true, 'pushgw', 'sync')"},
    {kPgGetToken,
     "SELECT state, reason, since_ms, sent, delivered, failed, last_sent_at_ms, last_campaign FROM tokens"
     " WHERE platform = $1 AND app = $2 AND token = $3"},
    {kPgGetEvents,
     "SELECT seq, at_ms, platform, app, token, kind, reason, campaign FROM events WHERE seq >= $1"
     " ORDER BY seq LIMIT $2"},
    {kPgGetCampaign,
     "SELECT sent, delivered, failed, invalid, unsubscribed, suppressed, capped, expired, opened, clicked,"
     " converted FROM campaigns WHERE name = $1"},
    // The lift is logged even without a row: another instance may still
    // hold the token in memory.
    {kPgForget,
     "WITH d AS (DELETE FROM tokens WHERE platform = $2 AND app = $3 AND token = $5 RETURNING state),"
     " l AS (INSERT INTO suppression_log(instance, platform, app, token, lift, ms) VALUES($1, $2, $3, $4, true, 0))"
     " SELECT state FROM d"},
    {kPgPruneEvents,
     "DELETE FROM events WHERE seq IN (SELECT seq FROM events WHERE at_ms < $1 ORDER BY at_ms LIMIT $2)"},
    // Followers read the log within a second; a day covers a long pause.
    {kPgPruneLog,
     "DELETE FROM suppression_log WHERE seq IN (SELECT seq FROM suppression_log"
     " WHERE logged_at < now() - interval '1 day' ORDER BY seq LIMIT $1)"},
    {kPgFollowLog,
     "SELECT seq, lift, platform, app, token, ms FROM suppression_log WHERE seq > $1 AND instance <> $2"
     " ORDER BY seq LIMIT $3"},
    {kPgFollowMarketing,
     "SELECT seq, platform, app, token, at_ms FROM marketing_sends WHERE seq > $1 AND instance <> $2"
     " ORDER BY seq LIMIT $3"},
    {kPgMaxLog, "SELECT coalesce(max(seq), 0) FROM suppression_log"},
    {kPgMaxMarketing, "SELECT coalesce(max(seq), 0) FROM marketing_sends"},
    {kPgSuppressed, "SELECT platform, app, coalesce(token_full, token), since_ms FROM tokens WHERE state <> 0"},
    {kPgMarketing, "SELECT platform, app, token, at_ms FROM marketing_sends WHERE at_ms >= $1 ORDER BY at_ms"},
    // Scheduled sends (pg_schedule.cc).
    {kPgInsertScheduled,
     "INSERT INTO scheduled(" PUSHGW_PG_SCHEDULED_COLUMNS ") SELECT * FROM unnest($1::bigint[], $2::bigint[],"
     " $3::text[], $4::bigint[], $5::text[], $6::smallint[], $7::text[], $8::bigint[], $9::boolean[], $10::bigint[],"
     " $11::text[]) ON CONFLICT (id) DO NOTHING"},
    // SKIP LOCKED: instances claiming at the same time take disjoint rows; a
    // row another one claimed and committed meanwhile fails the re-checked
    // lease condition and is skipped too.
    {kPgClaimScheduled,
     "UPDATE scheduled SET claimed_until_ms = $3 WHERE id IN (SELECT id FROM scheduled WHERE due_ms <= $1"
     " AND claimed_until_ms <= $2 ORDER BY due_ms LIMIT $4 FOR UPDATE SKIP LOCKED)"
     " RETURNING " PUSHGW_PG_SCHEDULED_COLUMNS},
    {kPgNextScheduled,
     "SELECT least((SELECT min(due_ms) FROM scheduled WHERE claimed_until_ms = 0),"
     " (SELECT min(greatest(due_ms, claimed_until_ms)) FROM scheduled WHERE claimed_until_ms > 0))"},
    {kPgFinishScheduled, "DELETE FROM scheduled WHERE id = ANY($1::bigint[])"},
    {kPgReleaseScheduled, "UPDATE scheduled SET claimed_until_ms = 0 WHERE id = ANY($1::bigint[])"},
    {kPgCancelScheduled,
     "WITH d AS (DELETE FROM scheduled WHERE schedule_key = $1 AND $1 <> '' AND claimed_until_ms <= $2"
     " RETURNING recipients) SELECT coalesce(sum(recipients), 0) FROM d"},
    // Cut by bytes too ($4): a row only while the lines before it total less
    // (octet_length does not detoast; libpq would hold the whole result).
    {kPgListScheduled,
     "SELECT " PUSHGW_PG_SCHEDULED_COLUMNS " FROM (SELECT " PUSHGW_PG_SCHEDULED_COLUMNS
     ", sum(octet_length(line)) OVER (ORDER BY due_ms, id) - octet_length(line) AS before FROM scheduled"
     " WHERE schedule_key = $1 AND $1 <> '' AND claimed_until_ms <= $2) s WHERE before < $4"
     " ORDER BY due_ms, id LIMIT $3"},
};

#undef PUSHGW_PG_SCHEDULED_COLUMNS

}  // namespace pushgw::store::detail
