// What most SQLite store tests start from: a temp dir, a test clock and the
// database path in it, as a gtest fixture (each suite derives its own, so
// test names stay StoreCampaign.X, StoreSchedule.Y, ...), and a store opened
// and started in one call.
#pragma once
#include <gtest/gtest.h>

#include <memory>
#include <string>

#include "store_test_util.h"

namespace pushgw::store::testing {

class StoreFileTest : public ::testing::Test {
 protected:
  TempDir dir;
  TestClock clock;
  const std::string path = dir.file("pushgw.db");
};

// open_store() and start(); nullptr (with a test failure) when it cannot open.
inline std::unique_ptr<Store> start_store(const std::string& path, const Clock& clock, int producers = 1,
                                          StoreOptions opt = {}, int keep_days = 30) {
  auto s = open_store(path, clock, producers, opt, keep_days);
  if (s) s->start();
  return s;
}

}  // namespace pushgw::store::testing

namespace pushgw::store {
// Shared by store_api_test.cc and store_persist_test.cc.
class StoreOpen : public testing::StoreFileTest {};
}  // namespace pushgw::store
