// Marketing frequency caps: per recipient (a key_hash of platform, app,
// token), the times of its recent marketing sends, checked against rolling
// one-hour and one-day windows.
//
// Threads: admit() and load() may be called from any thread. The table is
// split into shards, each behind its own spinlock held for a handful of
// instructions; sender threads rarely meet on a shard (measured in
// bench/policy_bench.cc). A recipient keeps at most max(per_hour, per_day)
// timestamps, so one check is O(cap), a small constant.
#pragma once
#include <atomic>
#include <cstdint>
#include <memory>
#include <unordered_map>
#include <vector>

namespace pushgw::dispatch {

struct CapLimits {
  int per_hour = 0;  // 0 = no cap
  int per_day = 0;   // 0 = no cap
  bool enabled() const { return per_hour > 0 || per_day > 0; }
};

class CapTable {
 public:
  static constexpr int64_t kHourMs = 3'600'000;
  static constexpr int64_t kDayMs = 86'400'000;

  explicit CapTable(CapLimits limits, size_t shards = 64);
  ~CapTable();
  CapTable(const CapTable&) = delete;
  CapTable& operator=(const CapTable&) = delete;

  const CapLimits& limits() const { return limits_; }
  // A marketing send that happened at at_ms (loaded from the store at
  // start-up, or admitted by another instance sharing the store).
  void load(uint64_t key, int64_t at_ms);
  // True, and the send is counted, when the recipient is under every cap at
  // now_ms; false (nothing counted) when a cap is reached.
  bool admit(uint64_t key, int64_t now_ms);
  // Sends counted for key within the window ending at now_ms.
  int count(uint64_t key, int64_t now_ms, int64_t window_ms);
  size_t keys() const;

 private:
  struct alignas(64) Shard {
    std::atomic_flag busy = ATOMIC_FLAG_INIT;
    std::unordered_map<uint64_t, std::vector<int64_t>> sends;  // ascending times
  };
  class Guard;
  Shard& shard(uint64_t key) const { return shards_[(key >> 40) & mask_]; }
  int64_t window() const { return limits_.per_day > 0 ? kDayMs : kHourMs; }

  const CapLimits limits_;
  const size_t mask_;
  std::unique_ptr<Shard[]> shards_;
};

}  // namespace pushgw::dispatch
