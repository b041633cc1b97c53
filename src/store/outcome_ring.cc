#include "store/outcome_ring.h"

#include <algorithm>
#include <cstring>

namespace pushgw::store {

namespace {

size_t pow2_at_least(size_t n) {
  size_t c = 1;
  while (c < n) c <<= 1;
  return c;
}

// Cuts s to at most max bytes without splitting a UTF-8 sequence.
std::string_view cut_utf8(std::string_view s, size_t max) {
  if (s.size() <= max) return s;
  size_t n = max;
  while (n > 0 && (static_cast<unsigned char>(s[n]) & 0xC0) == 0x80) --n;
  return s.substr(0, n);
}

}  // namespace

OutcomeRing::OutcomeRing(size_t slots, size_t arena_bytes)
    : mask_(pow2_at_least(std::max<size_t>(slots, 2)) - 1),
      arena_mask_(pow2_at_least(std::max(arena_bytes, kMinArena)) - 1),
      slots_(new Rec[mask_ + 1]),
      arena_(new char[arena_mask_ + 1]) {}

bool OutcomeRing::reserve_arena(size_t n, uint64_t* start) {
  const size_t cap = arena_mask_ + 1;
  uint64_t pos = arena_head_;
  size_t off = pos & arena_mask_;
  if (off + n > cap) pos += cap - off;  // never split a record's bytes: skip to the start
  if (pos + n - arena_tail_cache_ > cap) {
    arena_tail_cache_ = arena_tail_.load(std::memory_order_acquire);
    if (pos + n - arena_tail_cache_ > cap) return false;
  }
  *start = pos;
  return true;
}

OutcomeRing::Push OutcomeRing::push(const Outcome& o) {
  if (o.app.size() > kMaxApp || o.token.size() > kMaxToken) return Push::TooLong;
  const uint64_t head = head_.load(std::memory_order_relaxed);
  if (head - tail_cache_ > mask_) {
    tail_cache_ = tail_.load(std::memory_order_acquire);
    if (head - tail_cache_ > mask_) return Push::Full;
  }
  std::string_view campaign = cut_utf8(o.campaign, kMaxText);
  std::string_view reason = cut_utf8(o.reason, kMaxText);
  const size_t total = o.app.size() + o.token.size() + campaign.size() + reason.size();

  Rec& r = slots_[head & mask_];
  char* dst = r.bytes;
  r.flags = 0;
  r.arena_end = 0;
  r.arena_off = 0;
  if (total > sizeof(r.bytes)) {
    uint64_t start = 0;
    if (!reserve_arena(total, &start)) return Push::Full;
    r.arena_off = static_cast<uint32_t>(start & arena_mask_);
    r.arena_end = start + total;
    r.flags |= kInArena;
    arena_head_ = start + total;
    dst = arena_.get() + r.arena_off;
  }
  auto put = [&dst](std::string_view s) {
    if (!s.empty()) std::memcpy(dst, s.data(), s.size());
    dst += s.size();
  };
  put(o.app);
  put(o.token);
  put(campaign);
  put(reason);
  r.since_ms = o.since_ms;
  r.at_ms = o.at_ms;
  r.key = o.key;
  r.app_len = static_cast<uint8_t>(o.app.size());
  r.token_len = static_cast<uint16_t>(o.token.size());
  r.campaign_len = static_cast<uint16_t>(campaign.size());
  r.reason_len = static_cast<uint16_t>(reason.size());
  r.platform = static_cast<uint8_t>(o.platform);
  r.kind = static_cast<uint8_t>(o.kind);
  head_.store(head + 1, std::memory_order_release);  // publishes the slot and its arena bytes
  return Push::Ok;
}

RecordView OutcomeRing::read(uint64_t pos) const {
  const Rec& r = slots_[pos & mask_];
  const char* p = (r.flags & kInArena) ? arena_.get() + r.arena_off : r.bytes;
  RecordView v;
  v.platform = static_cast<Platform>(r.platform);
  v.kind = static_cast<Kind>(r.kind);
  v.since_ms = r.since_ms;
  v.at_ms = r.at_ms;
  v.app = std::string_view(p, r.app_len);
  p += r.app_len;
  v.token = std::string_view(p, r.token_len);
  p += r.token_len;
  v.campaign = std::string_view(p, r.campaign_len);
  p += r.campaign_len;
  v.reason = std::string_view(p, r.reason_len);
  v.arena_end = r.arena_end;
  v.key = r.key;
  return v;
}

void OutcomeRing::release(uint64_t pos, uint64_t arena_end) {
  if (arena_end != 0) arena_tail_.store(arena_end, std::memory_order_release);
  tail_.store(pos, std::memory_order_release);
}

}  // namespace pushgw::store
