// Latency histogram with log-linear buckets (8 per power of two, ~9% wide),
// from 1 µs to ~70 min. One writer thread (relaxed atomics so the stats op
// can read it from another thread); readers merge several and take
// percentiles. Recording is a few instructions, no allocation.
#pragma once
#include <array>
#include <atomic>
#include <bit>
#include <cstdint>

namespace pushgw::dispatch {

class LatencyHistogram {
 public:
  static constexpr int kSub = 8;
  static constexpr int kBuckets = 32 * kSub;

  void record_ns(int64_t ns) {
    uint64_t us = ns <= 0 ? 0 : static_cast<uint64_t>(ns) / 1000;
    auto& c = counts_[static_cast<size_t>(index(us))];
    c.store(c.load(std::memory_order_relaxed) + 1, std::memory_order_relaxed);
  }

  // Upper bound in µs of bucket i.
  static double upper_us(int i) {
    int exp = i / kSub, sub = i % kSub;
    if (exp == 0) return sub + 1;
    double base = static_cast<double>(uint64_t{1} << (exp + 2));
    return base + (sub + 1) * base / kSub;
  }

  static int index(uint64_t us) {
    if (us < kSub) return static_cast<int>(us);
    int msb = 63 - std::countl_zero(us);          // >= 3
    int exp = msb - 2;                             // 1 ..
    int sub = static_cast<int>((us >> (msb - 3)) & (kSub - 1));
    int i = exp * kSub + sub;
    return i < kBuckets ? i : kBuckets - 1;
  }

  uint64_t count(int i) const { return counts_[static_cast<size_t>(i)].load(std::memory_order_relaxed); }

 private:
  std::array<std::atomic<uint64_t>, kBuckets> counts_{};
};

// Sum of several histograms, for percentiles.
struct LatencySummary {
  std::array<uint64_t, LatencyHistogram::kBuckets> counts{};
  uint64_t total = 0;
  void add(const LatencyHistogram& h) {
    for (int i = 0; i < LatencyHistogram::kBuckets; ++i) {
      uint64_t c = h.count(i);
      counts[static_cast<size_t>(i)] += c;
      total += c;
    }
  }
  // q in [0,1]; returns the bucket's upper bound in milliseconds (0 when empty).
  double quantile_ms(double q) const {
    double ms = 0;
    quantiles_ms(&q, &ms, 1);
    return ms;
  }
  // quantile_ms of each of the n ascending qs, in one walk of the buckets
  // (the stats op asks for four of six summaries on every poll).
  void quantiles_ms(const double* qs, double* ms, int n) const {
    int k = 0;
    uint64_t seen = 0;
    for (int i = 0; i < LatencyHistogram::kBuckets && k < n && total > 0; ++i) {
      seen += counts[static_cast<size_t>(i)];
      for (; k < n && seen >= rank(qs[k]); ++k) ms[k] = LatencyHistogram::upper_us(i) / 1000.0;
    }
    for (; k < n; ++k) ms[k] = total == 0 ? 0 : LatencyHistogram::upper_us(LatencyHistogram::kBuckets - 1) / 1000.0;
  }

 private:
  uint64_t rank(double q) const { return static_cast<uint64_t>(q * static_cast<double>(total - 1)) + 1; }
};

}  // namespace pushgw::dispatch
