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

}  // namespace pushgw::store::testing
