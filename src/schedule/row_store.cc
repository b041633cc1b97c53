#include "schedule/row_store.h"

#include "store/store.h"

namespace pushgw::schedule {

void StoreRows::schedule(std::vector<store::ScheduledSend> rows, std::function<void(Result<size_t>)> cb) {
  store_.schedules().schedule(std::move(rows), std::move(cb));
}

void StoreRows::claim_due(int64_t now_ms, int64_t lease_ms, uint32_t limit,
                          std::function<void(Result<store::ClaimedSends>)> cb) {
  store_.schedules().claim_due(now_ms, lease_ms, limit, std::move(cb));
}

void StoreRows::finish_claimed(std::vector<int64_t> ids, std::function<void(Result<void>)> cb) {
  store_.schedules().finish_claimed(std::move(ids), std::move(cb));
}

void StoreRows::release_claimed(std::vector<int64_t> ids, std::function<void(Result<void>)> cb) {
  store_.schedules().release_claimed(std::move(ids), std::move(cb));
}

void StoreRows::cancel_scheduled(std::string key, int64_t now_ms, std::function<void(Result<uint64_t>)> cb) {
  store_.schedules().cancel_scheduled(std::move(key), now_ms, std::move(cb));
}

void StoreRows::list_scheduled(std::string key, int64_t now_ms, uint32_t limit,
                               std::function<void(Result<std::vector<store::ScheduledSend>>)> cb) {
  store_.schedules().list_scheduled(std::move(key), now_ms, limit, std::move(cb));
}

}  // namespace pushgw::schedule
