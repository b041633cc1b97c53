// Injected time. Production uses SystemClock; tests pass a manual clock.
#pragma once
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
