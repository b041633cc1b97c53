// The SQLite engine's side of the group commit (outcomes.h).
#include "store/sqlite/outcomes.h"

#include <algorithm>
#include <string_view>

namespace pushgw::store::detail {

namespace {

constexpr const char* kSelect = "SELECT state, since_ms FROM tokens WHERE platform=?1 AND app=?2 AND token=?3";
constexpr const char* kInsert =
    "INSERT INTO tokens(platform, app, token, state, reason, since_ms, sent, delivered, failed,"
    " last_sent_at_ms, last_campaign) VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)"
    " ON CONFLICT(platform, app, token) DO NOTHING";
// last_sent_at only moves forward and last_campaign goes with it: the send
// counters summed in memory (send_tally.h) reach the row after verdicts
// recorded later, which may carry a later send time.
constexpr const char* kUpdateSent =
    "UPDATE tokens SET sent=sent+?4, delivered=delivered+?5, failed=failed+?6,"
    " last_campaign=CASE WHEN ?7 >= last_sent_at_ms THEN ?8 ELSE last_campaign END,"
    " last_sent_at_ms=max(last_sent_at_ms, ?7) WHERE platform=?1 AND app=?2 AND token=?3";
constexpr const char* kUpdateState =
    "UPDATE tokens SET state=?4, reason=?5, since_ms=?6 WHERE platform=?1 AND app=?2 AND token=?3";
constexpr const char* kInsertEvent =
    "INSERT INTO events(at_ms, platform, app, token, kind, reason, campaign) VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7)";
constexpr const char* kInsertMarketing =
    "INSERT INTO marketing_sends(platform, app, token, at_ms) VALUES(?1, ?2, ?3, ?4)";

int64_t plat(const RecordView& r) { return static_cast<int64_t>(r.platform); }
int64_t delivered(const RecordView& r) { return r.kind == Kind::Delivered ? 1 : 0; }
int64_t failed(const RecordView& r) { return r.kind == Kind::Failed ? 1 : 0; }
// A verdict's reason is stored with it; an active token has none.
std::string_view reason_for(const RecordView& r, int state) { return state != 0 ? r.reason : std::string_view(); }

}  // namespace

Result<void> SqliteOutcomes::prepare() {
  return conn_.prepare({{&select_, kSelect},
                        {&insert_, kInsert},
                        {&update_sent_, kUpdateSent},
                        {&update_state_, kUpdateState},
                        {&insert_event_, kInsertEvent},
                        {&insert_marketing_, kInsertMarketing}});
}

Result<void> SqliteOutcomes::apply(const RecordView& r, TxnDelta& d) {
  if (!r.campaign.empty()) {
    if (auto e = campaigns_.count_outcome(r); !e) return e;
  }
  switch (r.kind) {
    case Kind::Suppressed:
    case Kind::Capped:
    case Kind::Expired: return ok();
    case Kind::MarketingSent: {
      auto u = insert_marketing_.use();
      u.bind(1, plat(r)).bind(2, r.app).bind(3, r.token).bind(4, r.at_ms);
      return conn_.done(u, "marketing send insert");
    }
    case Kind::Sent:
    case Kind::Delivered:
    case Kind::Failed: return apply_sends({send_delta(r)}, d);  // the Writer sums sends; kept for apply()'s contract
    default: break;
  }
  auto p = prior(r);
  if (!p) return p.error();
  if (r.kind == Kind::Reactivated) return reactivate(r, *p, d);
  return apply_verdict(r, *p, d);
}

Result<void> SqliteOutcomes::count_campaign(const RecordView& r) {
  if (r.campaign.empty()) return ok();
  return campaigns_.count_outcome(r);
}

// Key-ordered deltas, one per token: consecutive rows share B-tree pages, so
// a flush dirties far fewer pages than one write per send in arrival order.
// UPDATE first, INSERT when no row (the same adaptive order as below).
Result<void> SqliteOutcomes::apply_sends(const std::vector<SendDelta>& rows, TxnDelta& d) {
  for (const SendDelta& s : rows) {
    const auto p = static_cast<int64_t>(s.platform);
    const auto sent = static_cast<int64_t>(s.sent), dlv = static_cast<int64_t>(s.delivered),
               fail = static_cast<int64_t>(s.failed);
    auto insert = [&]() -> Result<void> {
      auto u = insert_.use();
      u.bind(1, p).bind(2, s.app).bind(3, s.token).bind(4, int64_t{0}).bind(5, std::string_view());
      u.bind(6, s.first_at_ms).bind(7, sent).bind(8, dlv).bind(9, fail).bind(10, s.last_at_ms).bind(11, s.campaign);
      return conn_.done(u, "token insert");
    };
    auto update = [&]() -> Result<void> {
      auto u = update_sent_.use();
      u.bind(1, p).bind(2, s.app).bind(3, s.token).bind(4, sent).bind(5, dlv).bind(6, fail);
      u.bind(7, s.last_at_ms).bind(8, s.campaign);
      return conn_.done(u, "token update");
    };
    if (auto e = send_rows(insert, update, d); !e) return e;
  }
  return ok();
}

Result<void> SqliteOutcomes::update_sent(const RecordView& r) {
  auto u = update_sent_.use();
  u.bind(1, plat(r)).bind(2, r.app).bind(3, r.token).bind(4, int64_t{1}).bind(5, delivered(r)).bind(6, failed(r));
  u.bind(7, r.at_ms).bind(8, r.campaign);
  return conn_.done(u, "token update");
}

// ON CONFLICT DO NOTHING: 0 changes when the token exists.
Result<void> SqliteOutcomes::insert_token(const RecordView& r, int state, int64_t since_ms) {
  auto u = insert_.use();
  u.bind(1, plat(r)).bind(2, r.app).bind(3, r.token).bind(4, int64_t{state});
  u.bind(5, reason_for(r, state)).bind(6, since_ms).bind(7, int64_t{1});
  u.bind(8, delivered(r)).bind(9, failed(r)).bind(10, r.at_ms).bind(11, r.campaign);
  return conn_.done(u, "token insert");
}

// Sends without a verdict (most outcomes): one UPDATE for a known token, an
// INSERT only when it touched no row. (An UPSERT ... RETURNING measured
// slower: SQLite materialises RETURNING rows.) Whichever statement runs
// first, a miss costs a second B-tree descent; the order follows the recent
// mix (a first campaign to new tokens inserts, a known audience updates).
// Both orders give the same rows and counts.
template <class Insert, class Update>
Result<void> SqliteOutcomes::send_rows(const Insert& insert, const Update& update, TxnDelta& d) {
  constexpr int kBiasLimit = 16;
  if (insert_bias_ > 0) {
    if (auto e = insert(); !e) return e;
    if (conn_.changes() > 0) {
      insert_bias_ = std::min(insert_bias_ + 1, kBiasLimit);
      d.tokens += 1;
      return ok();
    }
    --insert_bias_;
    return update();
  }
  if (auto e = update(); !e) return e;
  if (conn_.changes() > 0) {
    insert_bias_ = std::max(insert_bias_ - 1, -kBiasLimit);
    return ok();
  }
  ++insert_bias_;
  if (auto e = insert(); !e) return e;
  d.tokens += 1;
  return ok();
}

Result<SqliteOutcomes::Prior> SqliteOutcomes::prior(const RecordView& r) {
  auto u = select_.use();
  const int rc = u.bind(1, plat(r)).bind(2, r.app).bind(3, r.token).step();
  Prior p;
  if (rc == SQLITE_ROW) {
    p.exists = true;
    p.state = static_cast<int>(u.i64(0));
    p.since_ms = u.i64(1);
  } else if (rc != SQLITE_DONE) {
    return conn_.error("store_write_failed", "token lookup");
  }
  return p;
}

Result<void> SqliteOutcomes::set_state(const RecordView& r, int state, int64_t since_ms, const char* what) {
  auto u = update_state_.use();
  u.bind(1, plat(r)).bind(2, r.app).bind(3, r.token).bind(4, int64_t{state});
  u.bind(5, reason_for(r, state)).bind(6, since_ms);
  return conn_.done(u, what);
}

// Only an invalid/unsubscribed token older than the registration goes back.
Result<void> SqliteOutcomes::reactivate(const RecordView& r, const Prior& p, TxnDelta& d) {
  if (!p.exists || p.state == 0 || (r.since_ms > 0 && p.since_ms >= r.since_ms)) return ok();
  if (auto e = set_state(r, 0, r.since_ms > 0 ? r.since_ms : r.at_ms, "reactivate"); !e) return e;
  d.add_state(p.state, -1);
  return ok();
}

// Invalid / Unsubscribed: the send is counted; a new state writes an event.
Result<void> SqliteOutcomes::apply_verdict(const RecordView& r, const Prior& p, TxnDelta& d) {
  const int next = verdict_state(r.kind);
  const bool verdict = next != 0;
  const bool transition = verdict && (!p.exists || p.state != next);
  const int64_t since = (verdict && r.since_ms > 0) ? r.since_ms : r.at_ms;
  if (!p.exists) {
    if (auto e = insert_token(r, next, since); !e) return e;
    d.tokens += 1;
  } else {
    if (auto e = update_sent(r); !e) return e;
    if (transition) {
      if (auto e = set_state(r, next, since, "token state"); !e) return e;
      d.add_state(p.state, -1);
    }
  }
  if (!transition) return ok();
  d.add_state(next, 1);
  auto ev = insert_event_.use();
  ev.bind(1, r.at_ms).bind(2, plat(r)).bind(3, r.app).bind(4, r.token).bind(5, int64_t{next});
  ev.bind(6, r.reason).bind(7, r.campaign);
  if (auto e = conn_.done(ev, "event insert"); !e) return e;
  d.events += 1;
  return ok();
}

}  // namespace pushgw::store::detail
