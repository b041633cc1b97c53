// Helpers for store tests that need no engine: a thread-safe manual clock, a
// quiet logger, a way to wait for the store's async callbacks, and outcomes.
#pragma once
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <future>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <thread>

#include "obs/log.h"
#include "pushgw/clock.h"
#include "store/store.h"

namespace pushgw::store::testing {

// ManualClock (pushgw/clock.h) is not safe to advance while the store thread
// reads it; this one is.
class TestClock final : public Clock {
 public:
  explicit TestClock(int64_t now_ms = 1'700'000'000'000) : now_(now_ms) {}
  int64_t now_ms() const override { return now_.load(std::memory_order_relaxed); }
  int64_t mono_ns() const override { return now_ms() * 1'000'000; }
  void advance_ms(int64_t d) { now_.fetch_add(d, std::memory_order_relaxed); }

 private:
  std::atomic<int64_t> now_;
};

inline obs::Logger quiet_logger() {
  return obs::Logger(std::make_shared<obs::LogSink>(obs::Level::Error), "store");
}

inline constexpr auto kWait = std::chrono::seconds(20);

// Calls start(cb) and waits for cb's argument (fails the test on timeout).
template <class T>
std::optional<T> await(const std::function<void(std::function<void(T)>)>& start) {
  auto p = std::make_shared<std::promise<T>>();
  auto f = p->get_future();
  start([p](T v) { p->set_value(std::move(v)); });
  if (f.wait_for(kWait) != std::future_status::ready) {
    ADD_FAILURE() << "store callback did not fire";
    return std::nullopt;
  }
  return f.get();
}

inline bool wait_commit(Store& s) {
  auto p = std::make_shared<std::promise<void>>();
  auto f = p->get_future();
  s.after_commit([p] { p->set_value(); });
  return f.wait_for(kWait) == std::future_status::ready;
}

// Writes the summed send counters now (Store::flush_sends).
inline bool flush_sends(Store& s) {
  auto r = await<Result<void>>([&](auto cb) { s.flush_sends(cb); });
  return r && r->ok();
}

inline TokenState get_token(Store& s, Platform p, const std::string& app, const std::string& token) {
  auto r = await<Result<TokenState>>([&](auto cb) { s.tokens().token(p, app, token, cb); });
  if (!r || !r->ok()) {
    ADD_FAILURE() << "token() failed";
    return TokenState{};
  }
  return r->value();
}

inline FeedbackPage get_feedback(Store& s, uint64_t since, uint32_t limit) {
  auto r = await<Result<FeedbackPage>>([&](auto cb) { s.tokens().feedback(since, limit, cb); });
  if (!r || !r->ok()) {
    ADD_FAILURE() << "feedback() failed";
    return FeedbackPage{};
  }
  return r->value();
}

// Records, spinning while the ring is full (what a sender thread does).
inline void record_spin(Store& s, int producer, const Outcome& o) {
  while (!s.record(producer, o)) std::this_thread::yield();
}

inline std::string hex_token(uint64_t i) {
  static const char* digits = "0123456789abcdef";
  std::string t(64, '0');
  for (int k = 63; k >= 0 && i; --k, i >>= 4) t[static_cast<size_t>(k)] = digits[i & 15];
  return t;
}

inline Outcome outcome(Kind kind, std::string_view token, std::string_view campaign = "",
                       std::string_view reason = "", int64_t since_ms = 0, Platform p = Platform::Apns,
                       std::string_view app = "shop-ios") {
  Outcome o;
  o.platform = p;
  o.app = app;
  o.token = token;
  o.campaign = campaign;
  o.kind = kind;
  o.reason = reason;
  o.since_ms = since_ms;
  return o;
}

}  // namespace pushgw::store::testing
