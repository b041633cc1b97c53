#include "store/retention.h"

#include <algorithm>

#include "store/backend.h"
#include "store/writer.h"

namespace pushgw::store::detail {

namespace {
constexpr int64_t kDayMs = 86'400'000;
}  // namespace

Result<uint64_t> EventRetention::prune_chunk(Backend& db, int64_t before_ms, uint32_t chunk) {
  auto r = db.prune(before_ms, chunk);
  if (!r) return r;
  counters_.add(counters_.events, -static_cast<int64_t>(*r));
  counters_.pruned.fetch_add(*r, std::memory_order_relaxed);
  return r;
}

void EventRetention::maybe_prune(Backend& db) {
  if (opt_.keep_events_days <= 0) return;
  const int64_t now = clock_.now_ms();
  if (now < next_prune_ms_) return;
  auto r = prune_chunk(db, now - opt_.keep_events_days * kDayMs, opt_.prune_chunk);
  if (!r) {
    PGW_LOG(log_, Warn, "event retention failed: %s", r.error().message.c_str());
    next_prune_ms_ = now + opt_.prune_interval_ms;
    return;
  }
  // A full chunk means more are due: continue on the next pass, not in a loop.
  next_prune_ms_ = *r == opt_.prune_chunk ? now : now + opt_.prune_interval_ms;
}

Result<uint64_t> EventRetention::prune_all(Backend& db) {
  uint64_t total = 0;
  if (opt_.keep_events_days <= 0) return total;
  const uint32_t chunk = std::max<uint32_t>(opt_.prune_chunk, 1);
  const int64_t before = clock_.now_ms() - opt_.keep_events_days * kDayMs;
  for (;;) {
    auto r = prune_chunk(db, before, chunk);
    if (!r) return r.error();
    total += *r;
    if (*r < chunk) return total;
  }
}

}  // namespace pushgw::store::detail
