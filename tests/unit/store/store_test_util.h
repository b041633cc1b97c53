// Helpers shared by the store tests on a real engine: a temporary directory,
// a Store on SQLite, reads that wait for their callback (and, from
// core_test_util.h, the clock, waiting and outcome helpers).
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

#include "core_test_util.h"
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

inline std::unique_ptr<Store> open_store(const std::string& path, const Clock& clock, int producers = 1,
                                         StoreOptions opt = {}, int keep_days = 30) {
  store::StoreConfig cfg;
  cfg.path = path;
  cfg.keep_events_days = keep_days;
  auto r = store::open_store(cfg, producers, clock, quiet_logger(), opt);
  if (!r) {
    ADD_FAILURE() << r.error().code << ": " << r.error().message;
    return nullptr;
  }
  return std::move(r.value());
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

// Records a delivery of token t (campaign "later") and writes it, then a
// verdict on t whose send time is a minute earlier (the wall clock stepped
// back; on PostgreSQL also another instance committing late). Expects the
// verdict to leave last_sent_at and last_campaign at the later send; returns
// that send's time, for the caller's look at the row itself.
inline int64_t expect_verdict_keeps_last_send(Store& s, TestClock& clock, const std::string& t) {
  record_spin(s, 0, outcome(Kind::Delivered, t, "later"));
  EXPECT_TRUE(wait_commit(s));
  EXPECT_TRUE(flush_sends(s));
  const int64_t later = clock.now_ms();
  clock.advance_ms(-60'000);
  record_spin(s, 0, outcome(Kind::Unsubscribed, t, "earlier", "Unregistered"));
  EXPECT_TRUE(wait_commit(s));
  TokenState st = get_token(s, Platform::Apns, "shop-ios", t);
  EXPECT_EQ(st.state, "unsubscribed");
  EXPECT_EQ(st.sent, 2u);
  EXPECT_EQ(st.last_sent_at_ms, later);
  EXPECT_EQ(st.last_campaign, "later");
  return later;
}

}  // namespace pushgw::store::testing
