#include "store/store.h"

#include <sys/random.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "store/key_hash.h"
#include "store/outcome_ring.h"
#include "store/retention.h"
#include "store/suppression.h"
#include "store/backend.h"
#include "store/writer.h"

namespace pushgw::store {

namespace {

// The installation's secret for key_hash(): made on the first start (of a
// new or an older database alike; keys are never stored, so nothing needs
// migrating) and kept in the engine's meta table, 128 bits from getrandom(2).
Result<HashKey> claim_hash_key(detail::Backend& db) {
  unsigned char raw[16];
  size_t got = 0;
  while (got < sizeof raw) {
    const ssize_t n = ::getrandom(raw + got, sizeof raw - got, 0);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return make_error("store_open_failed", std::string("getrandom: ") + std::strerror(errno));
    got += static_cast<size_t>(n);
  }
  static constexpr char kHex[] = "0123456789abcdef";
  std::string fresh;
  for (unsigned char b : raw) {
    fresh.push_back(kHex[b >> 4]);
    fresh.push_back(kHex[b & 15]);
  }
  auto stored = db.claim_meta("suppression_hash_key", fresh);
  if (!stored) return stored.error();
  const std::string& hex = *stored;
  auto nibble = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    return -1;
  };
  const Error bad = make_error("store_open_failed", "meta suppression_hash_key is not 32 hex digits");
  if (hex.size() != 32) return bad;
  uint64_t k[2] = {0, 0};
  for (size_t i = 0; i < hex.size(); ++i) {
    const int v = nibble(hex[i]);
    if (v < 0) return bad;
    k[i / 16] = (k[i / 16] << 4) | static_cast<uint64_t>(v);
  }
  return HashKey{k[0], k[1]};
}

}  // namespace

Store::Store(std::unique_ptr<detail::Backend> db, const Clock& clock, obs::Logger log, const StoreOptions& opt)
    : clock_(clock),
      log_(std::move(log)),
      opt_(opt),
      counters_(std::make_unique<detail::Counters>()),
      db_(std::move(db)) {}

Store::~Store() {
  if (writer_) writer_->stop();
}

Result<std::unique_ptr<Store>> Store::open(std::unique_ptr<detail::Backend> db, int producers, const Clock& clock,
                                           obs::Logger log, const StoreOptions& opt) {
  if (producers < 1 || producers > 4096)
    return make_error("store_bad_argument", "producers must be 1..4096, got " + std::to_string(producers));
  if (!db) return make_error("store_bad_argument", "no backend");
  std::unique_ptr<Store> s(new Store(std::move(db), clock, std::move(log), opt));
  if (auto r = s->load(producers); !r) return r.error();
  return s;
}

uint64_t Store::key(Platform p, std::string_view app, std::string_view token) const {
  return key_hash(hash_key_, p, app, token);
}

Result<void> Store::load(int producers) {
  schema_found_ = db_->schema_found();
  auto hash_key = claim_hash_key(*db_);
  if (!hash_key) return hash_key.error();
  hash_key_ = *hash_key;

  auto counts = db_->counts();
  if (!counts) return counts.error();
  counters_->tokens = counts->tokens;
  counters_->invalid = counts->invalid;
  counters_->unsubscribed = counts->unsubscribed;
  counters_->events = counts->events;

  set_ = std::make_unique<SuppressionSet>(static_cast<size_t>(counts->invalid + counts->unsubscribed));
  auto loaded = db_->for_each_suppressed([this](Platform p, std::string_view app, std::string_view token, int64_t since) {
    const uint64_t k = key(p, app, token);
    if (!set_->put(k, since)) {  // sized from the counts above; only if they lied
      set_->maintain(true);
      (void)set_->put(k, since);
    }
  });
  if (!loaded) return loaded.error();

  for (int i = 0; i < producers; ++i)
    rings_.push_back(std::make_unique<OutcomeRing>(opt_.ring_slots, opt_.ring_arena_bytes));
  retention_ = std::make_unique<detail::EventRetention>(opt_, clock_, *counters_, log_);
  writer_ = std::make_unique<detail::Writer>(*db_, rings_, *set_, *counters_, *retention_, clock_, log_, opt_,
                                             [this](const detail::RemoteChange& c) { apply_remote(c); }, hash_key_);
  if (auto r = writer_->sends().log().load(*db_, log_); !r) return r.error();
  counters_->send_log_tokens = writer_->sends().log().tokens();
  tokens_ = std::make_unique<Tokens>(*writer_, *set_, *counters_, hash_key_);
  campaigns_ = std::make_unique<Campaigns>(*db_, *writer_, hash_key_);
  schedules_ = std::make_unique<Schedules>(*writer_);
  PGW_LOG(log_, Info, "store %s open: schema v%d (was v%d), %llu tokens, %zu suppressed, %llu events",
          db_->describe().c_str(), db_->schema_version(), schema_found_, static_cast<unsigned long long>(counts->tokens),
          set_->entries(), static_cast<unsigned long long>(counts->events));
  return ok();
}

void Store::start() { writer_->start(); }

// Mirrors what record() and Tokens::forget() do to the set on the instance that made
// the change.
void Store::apply_remote(const detail::RemoteChange& c) {
  const uint64_t k = key(c.platform, c.app, c.token);
  switch (c.what) {
    case detail::RemoteChange::What::Suppress:
      if (!set_->put(k, c.ms)) {  // too full for now: this is the store thread, grow it
        set_->maintain(true);
        (void)set_->put(k, c.ms);
      }
      break;
    case detail::RemoteChange::What::Lift: set_->erase(k, c.ms); break;
    case detail::RemoteChange::What::MarketingSend:
      campaigns_->remote_marketing_send(k, c.ms);
      break;
  }
}

bool Store::record(int producer, const Outcome& in) {
  if (producer < 0 || static_cast<size_t>(producer) >= rings_.size()) {
    counters_->dropped.fetch_add(1, std::memory_order_relaxed);  // caller bug; never make it spin
    return true;
  }
  Outcome o = in;
  if (o.at_ms == 0) o.at_ms = clock_.now_ms();
  const bool suppress = o.kind == Kind::Invalid || o.kind == Kind::Unsubscribed;
  if (suppress || o.kind == Kind::Reactivated) {
    if (o.key == 0) o.key = key(o.platform, o.app, o.token);  // the ring carries it on
    const int64_t since = o.since_ms > 0 ? o.since_ms : o.at_ms;
    // Table too full (the store thread has not grown it yet): same answer as
    // a full ring, so that `true` always means "suppressed from now on".
    if (suppress && !set_->put(o.key, since)) return false;
    if (!suppress) set_->erase(o.key, o.since_ms);
  }
  switch (rings_[static_cast<size_t>(producer)]->push(o)) {
    case OutcomeRing::Push::Ok: return true;
    case OutcomeRing::Push::Full: return false;
    case OutcomeRing::Push::TooLong: break;
  }
  counters_->dropped.fetch_add(1, std::memory_order_relaxed);
  PGW_LOG(log_, Warn, "outcome not stored: app (%zu B) or token (%zu B) too long", o.app.size(), o.token.size());
  return true;
}

bool Store::suppressed(Platform p, std::string_view app, std::string_view token, int64_t registered_at_ms) const {
  return check(p, app, token, registered_at_ms) == Check::Suppressed;
}

Store::Check Store::check(Platform p, std::string_view app, std::string_view token, int64_t registered_at_ms) const {
  return check(key(p, app, token), registered_at_ms);
}

Store::Check Store::check(uint64_t key, int64_t registered_at_ms) const {
  int64_t since = 0;
  if (!set_->find(key, &since)) return Check::Clear;
  return registered_at_ms > since ? Check::Lifted : Check::Suppressed;  // registered_at 0 never lifts
}

void Store::after_commit(std::function<void()> done) { writer_->after_commit(std::move(done)); }

void Store::flush_sends(std::function<void(Result<void>)> cb) {
  detail::Writer* w = writer_.get();
  writer_->submit([w, cb = std::move(cb)](detail::Backend&) { cb(w->flush_sends()); });
}

void Store::prune(std::function<void(Result<uint64_t>)> cb) {
  detail::EventRetention* retention = retention_.get();
  writer_->submit([retention, cb = std::move(cb)](detail::Backend& db) { cb(retention->prune_all(db)); });
}

int64_t Store::failing_since_ms() const { return counters_->failing_since_ms.load(std::memory_order_relaxed); }
uint64_t Store::recorded(int producer) const { return rings_[static_cast<size_t>(producer)]->produced(); }

uint64_t Store::committed(int producer) const { return rings_[static_cast<size_t>(producer)]->released(); }

StoreStats Store::stats() const {
  StoreStats s;
  auto get = [](const std::atomic<uint64_t>& a) { return a.load(std::memory_order_relaxed); };
  s.tokens = get(counters_->tokens);
  s.invalid = get(counters_->invalid);
  s.unsubscribed = get(counters_->unsubscribed);
  s.events = get(counters_->events);
  s.committed_outcomes = get(counters_->committed);
  s.transactions = get(counters_->transactions);
  s.barriers = get(counters_->barriers);
  s.dropped = get(counters_->dropped);
  s.write_errors = get(counters_->write_errors);
  s.failing_since_ms = failing_since_ms();
  s.pruned_events = get(counters_->pruned);
  s.send_flushes = get(counters_->send_flushes);
  s.pending_send_tokens = get(counters_->pending_send_tokens);
  s.send_log_tokens = get(counters_->send_log_tokens);
  for (const auto& r : rings_) {
    const uint64_t released = r->released();  // first: it never passes produced()
    s.backlog += r->produced() - released;
  }
  s.suppressed_entries = set_->entries();
  s.suppression_bytes = set_->memory_bytes();
  return s;
}

}  // namespace pushgw::store
