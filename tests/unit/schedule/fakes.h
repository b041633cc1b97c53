// Test doubles for the schedule module: a RowStore that keeps every call
// and lets the test answer it (as the store thread would), an Intake, a
// clock the test sets.
#pragma once
#include <functional>
#include <string>
#include <vector>

#include "pushgw/clock.h"
#include "schedule/intake.h"
#include "schedule/row_store.h"

namespace pushgw::schedule::testing {

struct FakeClock final : Clock {
  int64_t now = 1'700'000'000'000;
  int64_t now_ms() const override { return now; }
  int64_t mono_ns() const override { return now * 1'000'000; }
};

struct FakeRows final : RowStore {
  struct Claim {
    int64_t now_ms, lease_ms;
    uint32_t limit;
    std::function<void(Result<store::ClaimedSends>)> cb;
  };
  std::vector<std::pair<std::vector<store::ScheduledSend>, std::function<void(Result<size_t>)>>> scheduled;
  std::vector<Claim> claims;
  std::vector<std::vector<int64_t>> finished, released;
  std::vector<std::function<void(Result<void>)>> finish_cbs;
  std::vector<std::pair<std::string, std::function<void(Result<uint64_t>)>>> cancels;
  struct List {
    std::string key;
    uint32_t limit;
    std::function<void(Result<std::vector<store::ScheduledSend>>)> cb;
  };
  std::vector<List> lists;

  void schedule(std::vector<store::ScheduledSend> rows, std::function<void(Result<size_t>)> cb) override {
    scheduled.emplace_back(std::move(rows), std::move(cb));
  }
  void claim_due(int64_t now_ms, int64_t lease_ms, uint32_t limit,
                 std::function<void(Result<store::ClaimedSends>)> cb) override {
    claims.push_back(Claim{now_ms, lease_ms, limit, std::move(cb)});
  }
  void finish_claimed(std::vector<int64_t> ids, std::function<void(Result<void>)> cb) override {
    finished.push_back(std::move(ids));
    finish_cbs.push_back(std::move(cb));
  }
  void release_claimed(std::vector<int64_t> ids, std::function<void(Result<void>)>) override {
    released.push_back(std::move(ids));
  }
  void cancel_scheduled(std::string key, int64_t, std::function<void(Result<uint64_t>)> cb) override {
    cancels.emplace_back(std::move(key), std::move(cb));
  }
  void list_scheduled(std::string key, int64_t, uint32_t limit,
                      std::function<void(Result<std::vector<store::ScheduledSend>>)> cb) override {
    lists.push_back(List{std::move(key), limit, std::move(cb)});
  }
};

struct FakeIntake final : Intake {
  bool room = true;
  std::vector<int64_t> ran;
  std::vector<RowSteps> steps;
  bool finish_at_once = true;  // calls steps.done(true) for the run itself
  bool has_room() const override { return room; }
  void run_due(const store::ScheduledSend& row, RowSteps s) override {
    ran.push_back(row.id);
    if (finish_at_once) s.done(true);
    steps.push_back(std::move(s));
  }
};

inline store::ScheduledSend row(int64_t id) {
  store::ScheduledSend r;
  r.id = id;
  r.line = R"({"op":"send"})";
  return r;
}

}  // namespace pushgw::schedule::testing
