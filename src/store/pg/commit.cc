// The PostgreSQL engine's group commit (commit.h).
#include "store/pg/commit.h"

#include <algorithm>

#include "store/pg/schema.h"
#include "store/pg/statements.h"

namespace pushgw::store::detail {

static_assert(kPgFeedLock == 5784688195950084098, "kPgFeedLockStmt spells kPgFeedLock out");

void PgCommit::VerdictCols::clear() {
  for (PgArray* a : {&kind, &platform, &app, &key, &full, &reason, &since, &at, &campaign}) a->clear();
}

void PgCommit::MarketingCols::clear() {
  for (PgArray* a : {&platform, &app, &token, &at}) a->clear();
}

void PgCommit::clear() {
  sends_.clear();
  verdicts_.clear();
  marketing_.clear();
  campaigns_.clear();
}

Result<void> PgCommit::begin(bool full_sync) {
  // Nothing goes to the server yet: the whole transaction is sent at commit.
  clear();
  txn_ = true;
  full_sync_ = full_sync;
  return ok();
}

void PgCommit::add_send(const SendDelta& d) {
  // Merged on the key as stored: two byte strings that sanitize alike are
  // one row (an upsert may not touch a row twice).
  // A token is its own key up to kPgMaxKeyToken (pg_token_key): then no
  // second copy is kept for token_full.
  std::string token = pg_text(d.token), key;
  if (token.size() <= kPgMaxKeyToken) key.swap(token);
  else key = pg_token_key(token);
  sends_.push_back(SendRow{static_cast<int16_t>(d.platform), pg_text(d.app), std::move(key), std::move(token),
                           pg_text(d.campaign), d.first_at_ms, d.last_at_ms, static_cast<int64_t>(d.sent),
                           static_cast<int64_t>(d.delivered), static_cast<int64_t>(d.failed)});
}

void PgCommit::count(const RecordView& r) {
  if (CampaignDelta c; !r.campaign.empty() && outcome_delta(r.kind, c)) campaigns_[pg_text(r.campaign)].add(c);
}

Result<void> PgCommit::count_campaign(const RecordView& r) {
  if (!txn_) return make_error("store_write_failed", "apply outside a transaction");
  count(r);
  return ok();
}

Result<void> PgCommit::apply_sends(const std::vector<SendDelta>& rows) {
  if (!txn_) return make_error("store_write_failed", "apply outside a transaction");
  sends_.reserve(sends_.size() + rows.size());
  for (const SendDelta& d : rows) add_send(d);
  return ok();
}

void PgCommit::add_verdict(const RecordView& r) {
  verdicts_.kind.add(static_cast<int64_t>(verdict_state(r.kind)));  // Reactivated -> 0
  verdicts_.platform.add(static_cast<int64_t>(r.platform));
  verdicts_.app.add(r.app);
  const std::string token = pg_text(r.token), key = pg_token_key(token);
  verdicts_.key.add(key);
  verdicts_.full.add(key == token ? std::string_view() : std::string_view(token));
  verdicts_.reason.add(r.kind == Kind::Reactivated ? std::string_view() : r.reason);
  verdicts_.since.add(r.since_ms);
  verdicts_.at.add(r.at_ms);
  verdicts_.campaign.add(r.campaign);
}

Result<void> PgCommit::apply(const RecordView& r) {
  if (!txn_) return make_error("store_write_failed", "apply outside a transaction");
  count(r);
  switch (r.kind) {
    case Kind::Suppressed:
    case Kind::Capped:
    case Kind::Expired: return ok();
    case Kind::MarketingSent:
      marketing_.platform.add(static_cast<int64_t>(r.platform));
      marketing_.app.add(r.app);
      marketing_.token.add(r.token);
      marketing_.at.add(r.at_ms);
      return ok();
    case Kind::Sent:
    case Kind::Delivered:
    case Kind::Failed: add_send(send_delta(r)); return ok();
    case Kind::Invalid:
    case Kind::Unsubscribed:
    case Kind::Reactivated: add_verdict(r); return ok();
  }
  return ok();
}

// Sorted by key, duplicates merged: an upsert may touch a row only once,
// and instances that lock rows in one order cannot deadlock on them.
std::optional<size_t> PgCommit::queue_sends(PgPipeline& pl) {
  const auto by_key = [](const SendRow& a, const SendRow& b) {
    if (a.platform != b.platform) return a.platform < b.platform;
    if (a.app != b.app) return a.app < b.app;
    return a.key < b.key;
  };
  // The send tally hands its rows over in this order already; only text
  // that sanitizes differently (or a long token's digest key) reorders.
  if (!std::is_sorted(sends_.begin(), sends_.end(), by_key)) std::stable_sort(sends_.begin(), sends_.end(), by_key);
  PgArray cols[10];
  for (size_t i = 0; i < sends_.size(); ++i) {
    SendRow& s = sends_[i];
    for (; i + 1 < sends_.size() && sends_[i + 1].platform == s.platform && sends_[i + 1].app == s.app &&
           sends_[i + 1].key == s.key;
         ++i) {
      const SendRow& n = sends_[i + 1];  // later in apply() order (stable sort)
      s.sent += n.sent;
      s.delivered += n.delivered;
      s.failed += n.failed;
      s.first_at = std::min(s.first_at, n.first_at);
      if (n.last_at >= s.last_at) {
        s.last_at = n.last_at;
        s.campaign = n.campaign;
      }
    }
    cols[0].add(int64_t{s.platform});
    cols[1].add(s.app);
    cols[2].add(s.key);
    cols[3].add(s.full);
    cols[4].add(s.first_at);
    cols[5].add(s.sent);
    cols[6].add(s.delivered);
    cols[7].add(s.failed);
    cols[8].add(s.last_at);
    cols[9].add(s.campaign);
  }
  if (cols[0].size() == 0) return std::nullopt;
  PgParams p;
  for (PgArray& a : cols) p.add_clean(a.literal());
  return pl.prepared(kPgUpsertSends, p);
}

std::optional<size_t> PgCommit::queue_verdicts(PgPipeline& pl) {
  if (verdicts_.size() == 0) return std::nullopt;
  PgParams p;
  p.add(s_.instance());
  for (PgArray* a : {&verdicts_.kind, &verdicts_.platform, &verdicts_.app, &verdicts_.key, &verdicts_.full,
                     &verdicts_.reason, &verdicts_.since, &verdicts_.at, &verdicts_.campaign})
    p.add_clean(a->literal());
  return pl.prepared(kPgApplyVerdicts, p);
}

void PgCommit::queue_marketing(PgPipeline& pl) {
  if (marketing_.size() == 0) return;
  PgParams p;
  p.add(s_.instance());
  for (PgArray* a : {&marketing_.platform, &marketing_.app, &marketing_.token, &marketing_.at})
    p.add_clean(a->literal());
  pl.prepared(kPgInsertMarketing, p);
}

void PgCommit::queue_campaigns(PgPipeline& pl) {
  if (campaigns_.empty()) return;
  PgArray names, counters[CampaignDelta::kColumns];
  for (const auto& [name, c] : campaigns_) {  // std::map: sorted, the lock order again
    names.add(name);
    const auto v = c.columns();
    for (size_t k = 0; k < CampaignDelta::kColumns; ++k) counters[k].add(v[k]);
  }
  PgParams p;
  p.add_clean(names.literal());
  for (PgArray& a : counters) p.add_clean(a.literal());
  pl.prepared(kPgUpsertCampaigns, p);
}

Result<void> PgCommit::commit(TxnDelta& d) {
  if (!txn_) return make_error("store_write_failed", "commit outside a transaction");
  if (auto r = s_.ensure(); !r) return r;
  PgPipeline pl(s_.get());
  PgParams none;
  pl.sql("BEGIN");
  if (full_sync_) {
    // The flush at COMMIT must also cover earlier asynchronous commits, and
    // a transaction that writes no WAL flushes nothing: the heartbeat does.
    pl.sql("SET LOCAL synchronous_commit = on");
    pl.prepared(kPgHeartbeat, none);
  }
  // Rows of the change-followed tables: seq order must be commit order.
  if (verdicts_.size() > 0 || marketing_.size() > 0) pl.prepared(kPgFeedLockStmt, none);
  const std::optional<size_t> sends_at = queue_sends(pl);
  const std::optional<size_t> verdicts_at = queue_verdicts(pl);
  queue_marketing(pl);
  queue_campaigns(pl);
  pl.sql("COMMIT");
  auto res = s_.run_txn(pl, "store_write_failed");
  if (!res) return res.error();
  if (sends_at) d.tokens += pg_i64((*res)[*sends_at].get(), 0, 0);
  if (verdicts_at) {
    const PGresult* v = (*res)[*verdicts_at].get();
    d.tokens += pg_i64(v, 0, 0);
    d.invalid += pg_i64(v, 0, 1);
    d.unsubscribed += pg_i64(v, 0, 2);
    d.events += pg_i64(v, 0, 3);
  }
  txn_ = false;
  clear();
  return ok();
}

void PgCommit::rollback() {
  // Nothing reached the server unless commit() failed, and then run_txn()
  // already rolled it back.
  txn_ = false;
  clear();
}

Result<void> PgCommit::barrier() {
  if (auto r = s_.ensure(); !r) return r;
  // A commit that writes WAL with synchronous_commit on: the flush covers
  // every earlier (asynchronous) commit too.
  PgPipeline pl(s_.get());
  PgParams none;
  pl.sql("BEGIN");
  pl.sql("SET LOCAL synchronous_commit = on");
  pl.prepared(kPgHeartbeat, none);
  pl.sql("COMMIT");
  auto res = s_.run_txn(pl, "store_write_failed");
  if (!res) return res.error();
  return ok();
}

}  // namespace pushgw::store::detail
