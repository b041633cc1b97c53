#include "store/schedules.h"

#include "store/backend.h"
#include "store/writer.h"

namespace pushgw::store {

void Schedules::schedule(std::vector<ScheduledSend> rows, std::function<void(Result<size_t>)> cb) {
  writer_.submit([rows = std::move(rows), cb = std::move(cb)](detail::Backend& db) {
    cb(db.schedules().schedule(rows));
  });
}

void Schedules::claim_due(int64_t now_ms, int64_t lease_ms, uint32_t limit,
                          std::function<void(Result<ClaimedSends>)> cb) {
  writer_.submit([now_ms, lease_ms, limit, cb = std::move(cb)](detail::Backend& db) {
    cb(db.schedules().claim_due(now_ms, now_ms, now_ms + lease_ms, limit));
  });
}

void Schedules::finish_claimed(std::vector<int64_t> ids, std::function<void(Result<void>)> cb) {
  writer_.submit([ids = std::move(ids), cb = std::move(cb)](detail::Backend& db) {
    auto r = db.schedules().finish_claimed(ids);
    if (cb) cb(std::move(r));
  });
}

void Schedules::release_claimed(std::vector<int64_t> ids, std::function<void(Result<void>)> cb) {
  writer_.submit([ids = std::move(ids), cb = std::move(cb)](detail::Backend& db) {
    auto r = db.schedules().release_claimed(ids);
    if (cb) cb(std::move(r));
  });
}

void Schedules::cancel_scheduled(std::string key, int64_t now_ms, std::function<void(Result<uint64_t>)> cb) {
  writer_.submit([key = std::move(key), now_ms, cb = std::move(cb)](detail::Backend& db) {
    cb(db.schedules().cancel_scheduled(key, now_ms));
  });
}

void Schedules::list_scheduled(std::string key, int64_t now_ms, uint32_t limit,
                               std::function<void(Result<std::vector<ScheduledSend>>)> cb) {
  writer_.submit([key = std::move(key), now_ms, limit, cb = std::move(cb)](detail::Backend& db) {
    cb(db.schedules().list_scheduled(key, now_ms, limit));
  });
}

}  // namespace pushgw::store
