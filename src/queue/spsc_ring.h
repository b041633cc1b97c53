// Bounded single-producer/single-consumer ring of trivially copyable values.
//
// Lock-free: the producer owns tail_, the consumer owns head_; each side
// caches the other's index so the shared cache line is read only when the
// cached view says the ring looks full (producer) or empty (consumer).
// Capacity is rounded up to a power of two.
#pragma once
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <new>
#include <type_traits>

namespace pushgw::queue {

inline constexpr size_t kCacheLine = 64;

template <class T>
class SpscRing {
  static_assert(std::is_trivially_copyable_v<T>, "ring slots are copied by value");

 public:
  explicit SpscRing(size_t min_capacity) {
    size_t cap = 2;
    while (cap < min_capacity) cap <<= 1;
    mask_ = cap - 1;
    slots_ = std::make_unique<T[]>(cap);
  }
  SpscRing(const SpscRing&) = delete;
  SpscRing& operator=(const SpscRing&) = delete;

  size_t capacity() const { return mask_ + 1; }

  // Producer side. Returns false when full.
  bool push(const T& v) {
    const size_t t = tail_.load(std::memory_order_relaxed);
    if (t - head_cache_ > mask_) {
      head_cache_ = head_.load(std::memory_order_acquire);
      if (t - head_cache_ > mask_) return false;
    }
    slots_[t & mask_] = v;
    tail_.store(t + 1, std::memory_order_release);
    return true;
  }

  // Producer side: pushes up to n values, returns how many were pushed.
  size_t push_many(const T* v, size_t n) {
    const size_t t = tail_.load(std::memory_order_relaxed);
    size_t room = capacity() - (t - head_cache_);
    if (room < n) {
      head_cache_ = head_.load(std::memory_order_acquire);
      room = capacity() - (t - head_cache_);
    }
    const size_t k = n < room ? n : room;
    for (size_t i = 0; i < k; ++i) slots_[(t + i) & mask_] = v[i];
    tail_.store(t + k, std::memory_order_release);
    return k;
  }

  // Consumer side: pops up to max values into out, returns how many.
  size_t pop_many(T* out, size_t max) {
    const size_t h = head_.load(std::memory_order_relaxed);
    size_t avail = tail_cache_ - h;
    if (avail < max) {
      tail_cache_ = tail_.load(std::memory_order_acquire);
      avail = tail_cache_ - h;
      if (avail == 0) return 0;
    }
    const size_t k = avail < max ? avail : max;
    for (size_t i = 0; i < k; ++i) out[i] = slots_[(h + i) & mask_];
    head_.store(h + k, std::memory_order_release);
    return k;
  }

  bool pop(T& out) { return pop_many(&out, 1) == 1; }

  // Approximate from any thread (stats, watermarks).
  size_t size_approx() const {
    const size_t t = tail_.load(std::memory_order_acquire);
    const size_t h = head_.load(std::memory_order_acquire);
    return t >= h ? t - h : 0;
  }

 private:
  alignas(kCacheLine) std::atomic<size_t> head_{0};  // consumer writes
  size_t tail_cache_ = 0;                            // consumer's view of tail_
  alignas(kCacheLine) std::atomic<size_t> tail_{0};  // producer writes
  size_t head_cache_ = 0;                            // producer's view of head_
  alignas(kCacheLine) size_t mask_ = 0;
  std::unique_ptr<T[]> slots_;
};

}  // namespace pushgw::queue
