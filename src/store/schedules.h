// Campaign policy: the scheduled sends table (store/scheduled.h), reached
// through the store thread. Each op runs there through the Backend like the
// other async requests, after every outcome recorded before the call is
// committed; callbacks run on the store thread (see store.h). Got from
// Store::schedules(); lives as long as the Store.
#pragma once
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "pushgw/result.h"
#include "store/scheduled.h"

namespace pushgw::store {

namespace detail {
class Writer;
}

class Schedules {
 public:
  explicit Schedules(detail::Writer& writer) : writer_(writer) {}
  Schedules(const Schedules&) = delete;
  Schedules& operator=(const Schedules&) = delete;

  // cb runs once the rows are durable (a fully synced commit): number new.
  void schedule(std::vector<ScheduledSend> rows, std::function<void(Result<size_t>)> cb);
  // Claims up to `limit` rows due at or before now_ms for lease_ms.
  void claim_due(int64_t now_ms, int64_t lease_ms, uint32_t limit, std::function<void(Result<ClaimedSends>)> cb);
  // Claimed rows handed on (deleted) or given back; cb may be empty.
  void finish_claimed(std::vector<int64_t> ids, std::function<void(Result<void>)> cb);
  void release_claimed(std::vector<int64_t> ids, std::function<void(Result<void>)> cb);
  // Rows of a key not being sent at now_ms: cancel deletes them (cb: their
  // recipients), list returns up to `limit`, earliest due first.
  void cancel_scheduled(std::string key, int64_t now_ms, std::function<void(Result<uint64_t>)> cb);
  void list_scheduled(std::string key, int64_t now_ms, uint32_t limit,
                      std::function<void(Result<std::vector<ScheduledSend>>)> cb);

 private:
  detail::Writer& writer_;
};

}  // namespace pushgw::store
