#include "dispatch/cap_table.h"

#include <algorithm>

namespace pushgw::dispatch {

class CapTable::Guard {
 public:
  explicit Guard(Shard& s) : s_(s) {
    while (s_.busy.test_and_set(std::memory_order_acquire)) {
      while (s_.busy.test(std::memory_order_relaxed)) __builtin_ia32_pause();
    }
  }
  ~Guard() { s_.busy.clear(std::memory_order_release); }
  Guard(const Guard&) = delete;
  Guard& operator=(const Guard&) = delete;

 private:
  Shard& s_;
};

namespace {
size_t round_pow2(size_t n) {
  size_t p = 1;
  while (p < n) p <<= 1;
  return p;
}

// Drops times that left the longest window (they are ascending).
void trim(std::vector<int64_t>& v, int64_t cutoff) {
  auto it = std::upper_bound(v.begin(), v.end(), cutoff);
  if (it != v.begin()) v.erase(v.begin(), it);
}

int count_after(const std::vector<int64_t>& v, int64_t cutoff) {
  return static_cast<int>(v.end() - std::upper_bound(v.begin(), v.end(), cutoff));
}
}  // namespace

CapTable::CapTable(CapLimits limits, size_t shards)
    : limits_(limits), mask_(round_pow2(std::max<size_t>(1, shards)) - 1), shards_(new Shard[mask_ + 1]) {}

CapTable::~CapTable() = default;

void CapTable::load(uint64_t key, int64_t at_ms) {
  Shard& s = shard(key);
  Guard g(s);
  auto& v = s.sends[key];
  v.insert(std::upper_bound(v.begin(), v.end(), at_ms), at_ms);
  // Sends of other instances keep arriving for recipients this one may never
  // admit() (which trims): drop what left the longest window here too.
  trim(v, v.back() - window());
}

bool CapTable::admit(uint64_t key, int64_t now_ms) {
  if (!limits_.enabled()) return true;
  Shard& s = shard(key);
  Guard g(s);
  auto& v = s.sends[key];
  trim(v, now_ms - window());
  if (limits_.per_day > 0 && static_cast<int>(v.size()) >= limits_.per_day) return false;
  if (limits_.per_hour > 0 && count_after(v, now_ms - kHourMs) >= limits_.per_hour) return false;
  // Clocks may step back a little: keep the vector ascending.
  if (v.empty() || v.back() <= now_ms) v.push_back(now_ms);
  else v.insert(std::upper_bound(v.begin(), v.end(), now_ms), now_ms);
  return true;
}

int CapTable::count(uint64_t key, int64_t now_ms, int64_t window_ms) {
  Shard& s = shard(key);
  Guard g(s);
  auto it = s.sends.find(key);
  if (it == s.sends.end()) return 0;
  return count_after(it->second, now_ms - window_ms);
}

size_t CapTable::keys() const {
  size_t n = 0;
  for (size_t i = 0; i <= mask_; ++i) {
    Guard g(shards_[i]);
    n += shards_[i].sends.size();
  }
  return n;
}

}  // namespace pushgw::dispatch
