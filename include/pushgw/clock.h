// Injected time. Production uses SystemClock; tests pass a manual clock.
#pragma once
#include <atomic>
#include <cstdint>

namespace pushgw {

class Clock {
 public:
  virtual ~Clock() = default;
  virtual int64_t now_ms() const = 0;       // wall clock, epoch milliseconds
  virtual int64_t mono_ns() const = 0;      // monotonic nanoseconds
  int64_t now_s() const { return now_ms() / 1000; }
};

class SystemClock final : public Clock {
 public:
  int64_t now_ms() const override;
  int64_t mono_ns() const override;
};

// The system clock shifted by an offset that may change while others read
// it (test hooks: lets an integration test move the daemon's scheduling
// clock hours ahead without waiting).
class OffsetClock final : public Clock {
 public:
  int64_t now_ms() const override { return base_.now_ms() + offset_ms_.load(std::memory_order_relaxed); }
  int64_t mono_ns() const override { return base_.mono_ns(); }
  void set_offset_ms(int64_t d) { offset_ms_.store(d, std::memory_order_relaxed); }
  int64_t offset_ms() const { return offset_ms_.load(std::memory_order_relaxed); }

 private:
  SystemClock base_;
  std::atomic<int64_t> offset_ms_{0};
};

class ManualClock final : public Clock {
 public:
  explicit ManualClock(int64_t now_ms = 1'700'000'000'000) : now_(now_ms) {}
  int64_t now_ms() const override { return now_; }
  int64_t mono_ns() const override { return now_ * 1'000'000; }
  void advance_ms(int64_t d) { now_ += d; }
  void set_ms(int64_t t) { now_ = t; }

 private:
  int64_t now_;
};

}  // namespace pushgw
