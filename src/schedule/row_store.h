// The scheduler's view of the store: the scheduled-send operations of
// store::Store (store_schedule.cc), behind an interface so the scheduler and
// its ops run against a fake in tests. StoreRows is the real one.
//
// Threading: called on the main loop thread; callbacks run on whatever
// thread the store answers on (the store thread), once each, and must only
// hand their result back to the loop (Scheduler::on_loop, OpCall::later).
#pragma once
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "pushgw/result.h"
#include "store/scheduled.h"

namespace pushgw::store {
class Store;
}

namespace pushgw::schedule {

class RowStore {
 public:
  virtual ~RowStore() = default;
  // cb(number of new rows) once the rows are durable.
  virtual void schedule(std::vector<store::ScheduledSend> rows, std::function<void(Result<size_t>)> cb) = 0;
  // Leases up to `limit` rows due at or before now_ms for lease_ms.
  virtual void claim_due(int64_t now_ms, int64_t lease_ms, uint32_t limit,
                         std::function<void(Result<store::ClaimedSends>)> cb) = 0;
  // Claimed rows handed on (deleted) or given back; cb may be empty.
  virtual void finish_claimed(std::vector<int64_t> ids, std::function<void(Result<void>)> cb) = 0;
  virtual void release_claimed(std::vector<int64_t> ids, std::function<void(Result<void>)> cb) = 0;
  // Rows of a key not being sent at now_ms: deleted (cb: their recipients) or listed.
  virtual void cancel_scheduled(std::string key, int64_t now_ms, std::function<void(Result<uint64_t>)> cb) = 0;
  virtual void list_scheduled(std::string key, int64_t now_ms, uint32_t limit,
                              std::function<void(Result<std::vector<store::ScheduledSend>>)> cb) = 0;
};

// RowStore on store::Store, which must outlive it.
class StoreRows final : public RowStore {
 public:
  explicit StoreRows(store::Store& store) : store_(store) {}
  void schedule(std::vector<store::ScheduledSend> rows, std::function<void(Result<size_t>)> cb) override;
  void claim_due(int64_t now_ms, int64_t lease_ms, uint32_t limit,
                 std::function<void(Result<store::ClaimedSends>)> cb) override;
  void finish_claimed(std::vector<int64_t> ids, std::function<void(Result<void>)> cb) override;
  void release_claimed(std::vector<int64_t> ids, std::function<void(Result<void>)> cb) override;
  void cancel_scheduled(std::string key, int64_t now_ms, std::function<void(Result<uint64_t>)> cb) override;
  void list_scheduled(std::string key, int64_t now_ms, uint32_t limit,
                      std::function<void(Result<std::vector<store::ScheduledSend>>)> cb) override;

 private:
  store::Store& store_;
};

}  // namespace pushgw::schedule
