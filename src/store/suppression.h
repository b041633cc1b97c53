// The in-memory suppression set: 64-bit key (key_hash.h) -> since_ms of every
// token the store knows as invalid or unsubscribed.
//
// Reads (contains) are lock-free and O(1): open addressing with linear probing
// over 16-byte slots {atomic key, atomic since}. Writes (put, erase) are
// lock-free too and may come from any thread (sender threads record verdicts,
// an ops thread forgets). Within one table a key, once it has claimed a slot,
// never moves or leaves it: erase stores the kAbsent marker into `since`, so a
// probe sequence is never broken and no tombstone logic is needed.
//
// Growth (and dropping erased keys) happens only on the store thread, in
// maintain(): it publishes a bigger table as `next` of the current one, copies
// every live entry, swaps `current` and frees the old table after a grace
// period (ReaderGate). While `next` is set, writers apply each change to both
// tables (current first, then next); the ordering argument is in the .cc.
//
// Capacity: the store thread grows the table once more than 5/8 of its slots
// are claimed (to the next power of two >= 2 x live entries, so the load is
// 1/4 .. 5/8). Writers refuse to claim beyond 7/8 (the store thread is late);
// put() then returns false and Store::record() reports "retry", like a full
// ring.
#pragma once
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>

namespace pushgw::store {

// Epoch-parity reader registry: lets the store thread wait until nobody can
// still be looking at a table it has unlinked. A reader costs two atomic
// increments on a per-thread-ish cache line (32 shards picked by thread id);
// the writer flips the parity and waits for the old parity to drain, so it is
// never starved by a steady stream of new readers.
class ReaderGate {
 public:
  unsigned enter() const;
  void leave(unsigned ticket) const;
  // Returns once every reader that entered before this call has left.
  void synchronize();

 private:
  static constexpr size_t kShards = 32;
  struct alignas(64) Shard {
    std::atomic<uint64_t> active[2] = {0, 0};
  };
  mutable Shard shards_[kShards];
  std::atomic<unsigned> epoch_{0};
};

class SuppressionSet {
 public:
  static constexpr int64_t kUnset = INT64_MIN;       // slot claimed, no value yet
  static constexpr int64_t kAbsent = INT64_MIN + 1;  // erased: not suppressed
  static constexpr size_t kMinCapacity = size_t{1} << 16;

  // Sizes the first table for `expected` entries (at most 1/2 load).
  explicit SuppressionSet(size_t expected = 0);
  ~SuppressionSet();
  SuppressionSet(const SuppressionSet&) = delete;
  SuppressionSet& operator=(const SuppressionSet&) = delete;

  // Any thread. true and *since_ms set when key is suppressed.
  bool find(uint64_t key, int64_t* since_ms) const;

  // Any thread. Inserts key with since_ms unless it is already suppressed (the
  // first verdict's since is kept, like the token row's `since`). Returns
  // false only when the table is too full to take a new key right now.
  bool put(uint64_t key, int64_t since_ms);

  // Any thread. Lifts suppression of key; when registered_at_ms > 0 only if
  // the stored since is older than registered_at_ms. Returns true when an
  // entry was removed.
  bool erase(uint64_t key, int64_t registered_at_ms = 0);

  // Store thread only. Grows the table when writers asked for it (or `force`).
  // Returns true when it swapped tables.
  bool maintain(bool force = false);
  bool wants_growth() const { return grow_wanted_.load(std::memory_order_relaxed); }

  // Approximate under concurrent writes (a stat, not an invariant).
  size_t entries() const;
  // Bytes held by the live table(s) (slots plus header).
  size_t memory_bytes() const;
  size_t capacity() const;

 private:
  struct Slot {
    std::atomic<uint64_t> key{0};
    std::atomic<int64_t> since{kUnset};
  };
  struct Table {
    explicit Table(size_t cap);
    size_t mask;
    std::atomic<size_t> used{0};  // claimed slots (live or erased)
    std::atomic<Table*> next{nullptr};
    std::unique_ptr<Slot[]> slots;
  };
  static bool is_value(int64_t v) { return v > kAbsent; }

  Slot* locate(const Table& t, uint64_t key) const;
  Slot* claim(Table& t, uint64_t key);
  // Ensures key in t holds a value, keeping an existing one. Returns the value
  // now stored, or kUnset when t was too full.
  int64_t put_in(Table& t, uint64_t key, int64_t since_ms, bool* inserted);

  std::atomic<Table*> current_;
  std::atomic<int64_t> live_{0};
  std::atomic<bool> grow_wanted_{false};
  std::atomic<size_t> bytes_{0};
  ReaderGate gate_;
};

}  // namespace pushgw::store
