#include "schedule/scheduler.h"

#include <algorithm>
#include <climits>
#include <memory>

#include "ingest/json_out.h"

namespace pushgw::schedule {
namespace {

constexpr int64_t kPollMs = 1000;
constexpr int64_t kBackPressureRetryMs = 100;
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

store::ScheduledSend make_row(ingest::Deferred& d, int64_t id, const std::string& campaign, int64_t now_ms) {
  store::ScheduledSend r;
  r.id = id;
  r.due_ms = d.due_ms;
  r.schedule_key = d.schedule_key;
  r.expires_at_ms = d.expires_at_ms;
  r.campaign = campaign;
  r.platform = d.platform;
  r.app = d.app;
  r.recipients = d.recipients;
  r.quiet_hours = d.quiet_hours;
  r.created_ms = now_ms;
  r.line = d.line();
  d.entries = std::string();  // the row holds them now (the answer needs only the targets)
  d.text.reset();
  return r;
}

}  // namespace

RowSteps::RowSteps(std::function<void(bool)> last) : s_(std::make_shared<State>()) { s_->last = std::move(last); }

void RowSteps::add() const { ++s_->left; }

void RowSteps::done(bool ok) const {
  s_->failed |= !ok;
  if (--s_->left > 0) return;
  auto last = std::move(s_->last);
  s_->last = nullptr;
  if (last) last(!s_->failed);
}

Scheduler::Scheduler(Deps deps)
    : d_(std::move(deps)), timer_(d_.loop, [this] { on_timer(); }), rng_(std::random_device{}()) {}

void Scheduler::start() {
  next_due_ms_ = now_ms();  // whatever fell due while the daemon was down
  arm();
}

void Scheduler::stop() {
  stopped_ = true;
  timer_.stop();  // due rows stay in the store for the next start
}

void Scheduler::poll_now() {
  next_due_ms_ = now_ms();
  arm();
}

std::vector<int64_t> Scheduler::keep(std::vector<ingest::Deferred>& deferred, uint64_t parent,
                                     const std::string& campaign, std::function<void(Result<void>)> done) {
  std::vector<int64_t> ids;
  if (d_.rows == nullptr) {
    ids.assign(deferred.size(), 0);
    d_.inbox->post([done] { done(make_error("unavailable", "no store configured")); }, d_.work->hold());
    return ids;
  }
  std::vector<store::ScheduledSend> rows;
  rows.reserve(deferred.size());
  int64_t earliest = 0;
  const int64_t now = now_ms();
  for (size_t g = 0; g < deferred.size(); ++g) {
    rows.push_back(make_row(deferred[g], row_id(parent, deferred[g].n, g), campaign, now));
    ids.push_back(rows.back().id);
    if (earliest == 0 || deferred[g].due_ms < earliest) earliest = deferred[g].due_ms;
  }
  d_.rows->schedule(std::move(rows), on_loop<Result<size_t>>([this, earliest, done = std::move(done)](Result<size_t> r) {
    Result<void> stored = r.ok() ? Result<void>() : Result<void>(r.error());
    if (stored.ok()) note_due(earliest);
    else PGW_LOG(d_.log, Error, "scheduled sends not stored: %s", stored.error().message.c_str());
    done(stored);
  }));
  return ids;
}

void Scheduler::note_due(int64_t due_ms) {
  if (next_due_ms_ != 0 && next_due_ms_ <= due_ms) return;
  next_due_ms_ = due_ms;
  arm();
}

void Scheduler::arm() {
  if (d_.rows == nullptr || stopped_ || claiming_) return;  // on_claimed() arms it again
  int64_t delay = kPollMs;
  if (next_due_ms_ > 0) delay = std::clamp<int64_t>(next_due_ms_ - now_ms(), 0, kPollMs);
  timer_.start(static_cast<uint64_t>(delay));
}

void Scheduler::on_timer() {
  if (d_.rows == nullptr || stopped_ || claiming_) return;
  if (intake_ == nullptr || !intake_->has_room()) {
    timer_.start(kBackPressureRetryMs);
    return;
  }
  claiming_ = true;
  d_.rows->claim_due(now_ms(), kLeaseMs, kClaimBatch,
                     on_loop<Result<store::ClaimedSends>>([this](Result<store::ClaimedSends> r) { on_claimed(r); }));
}

void Scheduler::on_claimed(Result<store::ClaimedSends>& claimed) {
  claiming_ = false;
  if (!claimed.ok()) {
    if (claimed.error().code == "store_unsupported") {
      // Sends with send_at or quiet hours fail to be stored, visibly.
      PGW_LOG(d_.log, Warn, "scheduled sends: %s; not polling for due ones", claimed.error().message.c_str());
      return;
    }
    PGW_LOG(d_.log, Error, "scheduled sends: claim failed: %s", claimed.error().message.c_str());
    next_due_ms_ = 0;  // poll again in a second
    arm();
    return;
  }
  run_rows(claimed.value());
}

// Rows run one at a time while the senders keep up; once they are full the
// rest go back to the store (memory stays bounded by the rings plus one row)
// and are claimed again when the backlog has drained. Stopped: all go back.
void Scheduler::run_rows(store::ClaimedSends& c) {
  size_t ran = 0;
  while (!stopped_ && ran < c.rows.size() && intake_->has_room()) run_due(c.rows[ran++]);
  std::vector<int64_t> back;
  for (size_t i = ran; i < c.rows.size(); ++i) back.push_back(c.rows[i].id);
  if (!back.empty()) d_.rows->release_claimed(std::move(back), nullptr);
  if (stopped_) return;
  next_due_ms_ = ran < c.rows.size() || c.rows.size() == kClaimBatch ? now_ms() : c.next_due_ms;
  arm();
}

void Scheduler::run_due(const store::ScheduledSend& row) {
  const int64_t id = row.id;
  if (!running_.insert(id).second) return;  // still being sent: the claim renewed its lease
  RowSteps steps([this, id](bool ok) {
    if (ok) {
      finish_row(id);
    } else {
      running_.erase(id);
      PGW_LOG(d_.log, Error, "scheduled send %s: kept; it runs again when its lease ends",
              ingest::schedule_id_text(id).c_str());
    }
  });
  intake_->run_due(row, steps);
}

void Scheduler::finish_row(int64_t id) {
  // Still "running" until the delete is done: a claim the store answered
  // before it may return the row once more.
  d_.rows->finish_claimed({id}, on_loop<Result<void>>([this, id](Result<void> r) {
    running_.erase(id);
    if (!r.ok()) PGW_LOG(d_.log, Error, "scheduled send not deleted after sending: %s", r.error().message.c_str());
  }));
}

}  // namespace pushgw::schedule
