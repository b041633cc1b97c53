// Campaign policy on the gateway's loop: quiet hours and time zones for
// ingest, and scheduled sends: stored when a request is accepted, run when
// due.
//
// Timer: one uv_timer, re-armed to the earliest row this process knows of
// and at least every second (rows another instance stored in a shared
// database, leases that ended). When it fires the store thread claims the
// due rows (a lease, so no one else takes them); each row's line goes
// through parse_send() again with now = its due time, so quiet hours are
// checked anew (a send_at that lands in them is held again), an expired
// notification ends "expired" on the senders with its campaign, and what is
// sent is journaled in the spool like any accepted send before the row is
// deleted. Due rows wait in the store, not in memory, while the senders are
// full (no claim then, and a claim's remaining rows are given back).
#include <algorithm>
#include <climits>

#include "daemon/gateway.h"
#include "ingest/json_out.h"
#include "spool/spool.h"
#include "store/store.h"

namespace pushgw::daemon {
namespace {

constexpr int64_t kPollMs = 1000;
constexpr int64_t kBackPressureRetryMs = 100;
constexpr uint32_t kClaimBatch = 64;  // rows per claim; a full batch claims again at once
// A claimed row is handed on within milliseconds; if the process dies
// first, the row is claimable again (here after a restart, or by another
// instance) once its lease ends.
constexpr int64_t kLeaseMs = 60'000;

uint64_t mix64(uint64_t z) {  // splitmix64's finalizer
  z += 0x9e3779b97f4a7c15ULL;
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

// A row's id from its parent (a random per request, or the row it was held
// again from) and its place: the same inputs give the same id, so a row
// re-held twice (a claim retried after a crash) is stored once.
int64_t row_id(uint64_t parent, uint32_t n, size_t group) {
  const uint64_t id = mix64(parent ^ mix64((uint64_t{n} << 32) ^ group)) & static_cast<uint64_t>(INT64_MAX);
  return id == 0 ? 1 : static_cast<int64_t>(id);
}

}  // namespace

Result<void> Gateway::check_policy(const settings::Settings& cfg) {
  const settings::PolicyConfig& p = cfg.policy;
  if (!p.quiet_hours.empty() && !tz::QuietWindow::parse(p.quiet_hours))
    return make_error("bad_policy", "[policy] quiet_hours: must be \"HH:MM-HH:MM\"");
  tz::ZoneCache zones;
  if (!zones.load(p.default_tz).ok())
    return make_error("bad_policy", "[policy] default_tz: unknown time zone \"" + p.default_tz +
                                        "\" (no TZif file under " + std::string(tz::kZoneinfoDir) + ")");
  return ok();
}

void Gateway::apply_policy(const settings::Settings& cfg) {
  quiet_ = cfg.policy.quiet_hours.empty() ? std::nullopt : tz::QuietWindow::parse(cfg.policy.quiet_hours);
  policy_.quiet = quiet_ ? &*quiet_ : nullptr;
  policy_.default_zone = zones_.find(cfg.policy.default_tz);
  if (policy_.default_zone == nullptr) {  // check_policy() ran first; only if tzdata vanished since
    PGW_LOG(log_, Warn, "[policy] default_tz %s: unknown time zone, using UTC", cfg.policy.default_tz.c_str());
    policy_.default_zone = zones_.find("UTC");
  }
  policy_.zones = &zones_;
}

std::vector<int64_t> Gateway::store_deferred(std::vector<ingest::Deferred>& deferred, uint64_t parent,
                                             const std::string& campaign, std::function<void(Result<void>)> done) {
  std::vector<int64_t> ids;
  if (d_.store == nullptr) {
    ids.assign(deferred.size(), 0);
    post_to_loop([done] { done(make_error("unavailable", "no store configured")); });
    return ids;
  }
  std::vector<store::ScheduledSend> rows;
  rows.reserve(deferred.size());
  int64_t earliest = 0;
  const int64_t now = schedule_now();
  for (size_t g = 0; g < deferred.size(); ++g) {
    ingest::Deferred& d = deferred[g];
    store::ScheduledSend& r = rows.emplace_back();
    r.id = row_id(parent, d.n, g);
    r.due_ms = d.due_ms;
    r.schedule_key = d.schedule_key;
    r.expires_at_ms = d.expires_at_ms;
    r.campaign = campaign;
    r.platform = d.platform;
    r.app = d.app;
    r.recipients = d.recipients;
    r.quiet_hours = d.quiet_hours;
    r.created_ms = now;
    r.line = d.line();
    d.entries = std::string();  // the row holds them now (the answer needs only the targets)
    d.text.reset();
    ids.push_back(r.id);
    if (earliest == 0 || d.due_ms < earliest) earliest = d.due_ms;
  }
  ++schedule_pending_;
  d_.store->schedule(std::move(rows), [this, earliest, done = std::move(done)](Result<size_t> r) {
    Result<void> stored = r.ok() ? Result<void>() : Result<void>(r.error());
    post_to_loop([this, earliest, done, stored] {
      --schedule_pending_;
      if (stored.ok()) note_due(earliest);
      else PGW_LOG(log_, Error, "scheduled sends not stored: %s", stored.error().message.c_str());
      done(stored);
      if (shutting_down_) check_shutdown();
    });
  });
  return ids;
}

void Gateway::note_due(int64_t due_ms) {
  if (next_due_ms_ != 0 && next_due_ms_ <= due_ms) return;
  next_due_ms_ = due_ms;
  arm_schedule_timer();
}

void Gateway::arm_schedule_timer() {
  if (d_.store == nullptr || shutting_down_ || claiming_) return;  // on_claimed() arms it again
  int64_t delay = kPollMs;
  if (next_due_ms_ > 0) delay = std::clamp<int64_t>(next_due_ms_ - schedule_now(), 0, kPollMs);
  uv_timer_start(
      &schedule_timer_, [](uv_timer_t* t) { static_cast<Gateway*>(t->data)->on_schedule_timer(); },
      static_cast<uint64_t>(delay), 0);
}

void Gateway::on_schedule_timer() {
  if (d_.store == nullptr || shutting_down_ || claiming_) return;
  if (!backlog_.empty()) {
    uv_timer_start(
        &schedule_timer_, [](uv_timer_t* t) { static_cast<Gateway*>(t->data)->on_schedule_timer(); },
        kBackPressureRetryMs, 0);
    return;
  }
  claiming_ = true;
  d_.store->claim_due(schedule_now(), kLeaseMs, kClaimBatch, [this](Result<store::ClaimedSends> r) {
    auto claimed = std::make_shared<Result<store::ClaimedSends>>(std::move(r));
    post_to_loop([this, claimed] { on_claimed(*claimed); });
  });
}

void Gateway::on_claimed(Result<store::ClaimedSends>& claimed) {
  claiming_ = false;
  if (!claimed.ok()) {
    if (claimed.error().code == "store_unsupported") {
      // Sends with send_at or quiet hours fail to be stored, visibly.
      PGW_LOG(log_, Warn, "scheduled sends: %s; not polling for due ones", claimed.error().message.c_str());
    } else {
      PGW_LOG(log_, Error, "scheduled sends: claim failed: %s", claimed.error().message.c_str());
      next_due_ms_ = 0;  // poll again in a second
      arm_schedule_timer();
    }
    if (shutting_down_) check_shutdown();
    return;
  }
  store::ClaimedSends& c = claimed.value();
  if (shutting_down_) {
    // Not sent by this process after all: give them back at once.
    std::vector<int64_t> ids;
    for (const auto& row : c.rows) ids.push_back(row.id);
    if (!ids.empty()) d_.store->release_claimed(std::move(ids), nullptr);
    check_shutdown();
    return;
  }
  // Rows run one at a time while the senders keep up; once they are full
  // the rest go back to the store (memory stays bounded by the rings plus
  // one row) and are claimed again when the backlog has drained.
  size_t ran = 0;
  while (ran < c.rows.size() && backlog_.empty()) {
    run_due(c.rows[ran++]);
    pump();
  }
  std::vector<int64_t> back;
  for (size_t i = ran; i < c.rows.size(); ++i) back.push_back(c.rows[i].id);
  if (!back.empty()) d_.store->release_claimed(std::move(back), nullptr);
  next_due_ms_ = ran < c.rows.size() || c.rows.size() == kClaimBatch ? schedule_now() : c.next_due_ms;
  arm_schedule_timer();
}

void Gateway::run_due(const store::ScheduledSend& row) {
  const int64_t now_ms = d_.clock->now_ms();
  const std::string id_text = ingest::schedule_id_text(row.id);
  Result<void> line_ok = parser_.parse(row.line);
  auto parsed = line_ok.ok() ? ingest::parse_send(parser_.root(), d_.apps->directory, schedule_now(), policy_)
                             : Result<ingest::SendRequest>(line_ok.error());
  // Steps before the row may be deleted: the initial one (below), the spool
  // record of what is sent now, the rows of what is held again. A failed
  // step leaves the row leased: it runs again when the lease ends (at least
  // once: recipients it sent now would be sent again then).
  struct Steps {
    int left = 1;
    bool failed = false;
  };
  auto steps = std::make_shared<Steps>();
  const int64_t id = row.id;
  auto step = [this, steps, id](bool ok) {
    steps->failed |= !ok;
    if (--steps->left > 0) return;
    if (steps->failed) {
      PGW_LOG(log_, Error, "scheduled send %s: kept; it runs again when its lease ends", ingest::schedule_id_text(id).c_str());
      return;
    }
    ++schedule_pending_;
    d_.store->finish_claimed({id}, [this](Result<void> r) {
      post_to_loop([this, r] {
        --schedule_pending_;
        if (!r.ok()) PGW_LOG(log_, Error, "scheduled send not deleted after sending: %s", r.error().message.c_str());
        if (shutting_down_) check_shutdown();
      });
    });
  };
  if (!parsed.ok()) {
    PGW_LOG(log_, Warn, "scheduled send %s no longer parses (%s: %s); dropped", id_text.c_str(),
            parsed.error().code.c_str(), parsed.error().message.c_str());
    step(true);
    return;
  }
  ingest::SendRequest& req = parsed.value();
  req.wait = false;
  if (!req.rejected.empty()) {
    // An app removed or a zone gone since it was accepted: nothing more can
    // be done for these recipients.
    const ingest::Rejection& r = req.rejected.front();
    PGW_LOG(log_, Warn, "scheduled send %s: %llu recipients rejected when due (%s: %s)", id_text.c_str(),
            static_cast<unsigned long long>(req.rejected_total), r.error.c_str(), r.message.c_str());
    if (shard_)
      for (const auto& x : req.rejected_by_code) shard_->counter(d_.families->rejected, {"", x.error})->inc(x.count);
  }
  uint64_t request_id = 0;
  std::vector<spool::BatchCount> counts = journal_counts(req);
  if (d_.spool && !counts.empty()) {
    // A spool that cannot write fails every request from now on and says
    // so; the sends are queued already, so the row goes either way (keeping
    // it would send them again).
    ++steps->left;
    ++schedule_pending_;
    request_id = d_.spool->append_accepted(row.line, now_ms, std::move(counts), [this, step](bool) {
      post_to_loop([this, step] {
        --schedule_pending_;
        step(true);
      });
    });
  }
  if (!req.deferred.empty()) {
    ++steps->left;
    store_deferred(req.deferred, static_cast<uint64_t>(row.id), req.campaign,
                   [step](Result<void> r) { step(r.ok()); });
  }
  for (Batch* b : admit(req, request_id, now_ms)) enqueue(b);
  step(true);
}

}  // namespace pushgw::daemon
