// Helpers shared by the store tests: a temporary directory, a thread-safe
// manual clock, and a way to wait for the store's async callbacks.
#pragma once
#include <gtest/gtest.h>
#include <sqlite3.h>
#include <stdlib.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <future>
#include <memory>
#include <optional>
#include <string>
#include <thread>

#include "obs/log.h"
#include "pushgw/clock.h"
#include "store/engines/open.h"
#include "store/store.h"

namespace pushgw::store::testing {

class TempDir {
 public:
  TempDir() {
    std::string tmpl = (std::filesystem::temp_directory_path() / "pushgw-store-XXXXXX").string();
    char* p = ::mkdtemp(tmpl.data());
    if (p) path_ = p;
  }
  ~TempDir() {
    std::error_code ec;
    if (!path_.empty()) std::filesystem::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::string& path() const { return path_; }
  std::string file(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

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

inline TokenState get_token(Store& s, Platform p, const std::string& app, const std::string& token) {
  auto r = await<Result<TokenState>>([&](auto cb) { s.token(p, app, token, cb); });
  if (!r || !r->ok()) {
    ADD_FAILURE() << "token() failed";
    return TokenState{};
  }
  return r->value();
}

inline FeedbackPage get_feedback(Store& s, uint64_t since, uint32_t limit) {
  auto r = await<Result<FeedbackPage>>([&](auto cb) { s.feedback(since, limit, cb); });
  if (!r || !r->ok()) {
    ADD_FAILURE() << "feedback() failed";
    return FeedbackPage{};
  }
  return r->value();
}

inline std::unique_ptr<Store> open_store(const std::string& path, const Clock& clock, int producers = 1,
                                         StoreOptions opt = {}, int keep_days = 30) {
  config::StoreConfig cfg;
  cfg.path = path;
  cfg.keep_events_days = keep_days;
  auto r = store::open_store(cfg, producers, clock, quiet_logger(), opt);
  if (!r) {
    ADD_FAILURE() << r.error().code << ": " << r.error().message;
    return nullptr;
  }
  return std::move(r.value());
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

// A fresh read-only connection: what another process would see.
inline int64_t query_int(const std::string& path, const char* sql) {
  sqlite3* db = nullptr;
  int64_t v = -1;
  if (sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READONLY, nullptr) == SQLITE_OK) {
    sqlite3_stmt* st = nullptr;
    if (sqlite3_prepare_v2(db, sql, -1, &st, nullptr) == SQLITE_OK && sqlite3_step(st) == SQLITE_ROW)
      v = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
  }
  sqlite3_close_v2(db);
  return v;
}

}  // namespace pushgw::store::testing
