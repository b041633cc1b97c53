// Single-producer single-consumer ring of outcomes: one per sender thread,
// drained by the store thread. No locks, no allocation after construction.
//
// A slot is a fixed 256-byte record. Its strings (app, token, campaign,
// reason) sit inline when they fit (APNs and FCM tokens do); otherwise all
// four go, contiguous, into the ring's byte arena, itself a SPSC byte ring
// that the consumer frees in the same order. push() fails (returns Full) when
// either the slots or the arena have no room; the producer retries.
//
// The consumer frees slots only when their outcomes are committed (release()),
// so a failed transaction can be replayed from the ring: nothing is lost, and
// a full ring turns into back-pressure on the senders.
#pragma once
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string_view>

#include "store/types.h"

namespace pushgw::store {

struct RecordView {
  Platform platform = Platform::Apns;
  Kind kind = Kind::Sent;
  int64_t since_ms = 0;
  int64_t at_ms = 0;
  std::string_view app, token, campaign, reason;
  uint64_t arena_end = 0;   // arena position to release with this record; 0 = inline
  uint64_t key = 0;         // Outcome::key: Store::key() of the triple, or 0 = not given
};

class OutcomeRing {
 public:
  static constexpr size_t kRecordBytes = 256;
  static constexpr size_t kMaxApp = 255;
  static constexpr size_t kMaxToken = 8192;
  static constexpr size_t kMaxText = 1024;  // campaign, reason: longer ones are cut
  static constexpr size_t kMinArena = 64 * 1024;

  enum class Push : uint8_t { Ok, Full, TooLong };

  // slots and arena_bytes are rounded up to powers of two.
  OutcomeRing(size_t slots, size_t arena_bytes);

  // Producer thread only. at_ms/since_ms already resolved by the caller.
  Push push(const Outcome& o);

  // Any thread: positions for backlog and after_commit snapshots.
  uint64_t produced() const { return head_.load(std::memory_order_acquire); }
  uint64_t released() const { return tail_.load(std::memory_order_acquire); }

  // Consumer thread only. pos in [released(), produced()).
  RecordView read(uint64_t pos) const;
  // Frees everything before pos; arena_end = the largest arena_end among them (0: none).
  void release(uint64_t pos, uint64_t arena_end);

  size_t slot_count() const { return mask_ + 1; }
  size_t memory_bytes() const { return (mask_ + 1) * kRecordBytes + (arena_mask_ + 1); }

 private:
  struct alignas(64) Rec {
    int64_t since_ms;
    int64_t at_ms;
    uint64_t arena_end;
    uint64_t key;
    uint32_t arena_off;
    uint16_t token_len, campaign_len, reason_len;
    uint8_t app_len, platform, kind, flags;
    char bytes[kRecordBytes - 46];
  };
  static_assert(sizeof(Rec) == kRecordBytes);
  static constexpr uint8_t kInArena = 1;

  bool reserve_arena(size_t n, uint64_t* start);

  const size_t mask_;
  const size_t arena_mask_;
  std::unique_ptr<Rec[]> slots_;
  std::unique_ptr<char[]> arena_;

  // Producer's cache line.
  alignas(64) std::atomic<uint64_t> head_{0};
  uint64_t tail_cache_ = 0;
  uint64_t arena_head_ = 0;
  uint64_t arena_tail_cache_ = 0;
  // Consumer's cache line.
  alignas(64) std::atomic<uint64_t> tail_{0};
  std::atomic<uint64_t> arena_tail_{0};
};

}  // namespace pushgw::store
