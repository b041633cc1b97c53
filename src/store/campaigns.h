// Campaign policy in the store: per-campaign counters, engagement events, and
// the marketing sends the frequency caps are rebuilt from (at start, and from
// other instances sharing a PostgreSQL database). Got from
// Store::campaigns(); lives as long as the Store. Callbacks of the async ops
// run on the store thread (see store.h).
#pragma once
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "pushgw/result.h"
#include "store/key_hash.h"
#include "store/types.h"

namespace pushgw::store {

namespace detail {
class Backend;
class Writer;
}  // namespace detail

class Campaigns {
 public:
  Campaigns(detail::Backend& db, detail::Writer& writer, const HashKey& key) : db_(db), writer_(writer), key_(key) {}
  Campaigns(const Campaigns&) = delete;
  Campaigns& operator=(const Campaigns&) = delete;

  // Records engagement events in one transaction after every outcome
  // recorded before the call; cb(number recorded).
  void engagement(std::vector<EngagementEvent> events, std::function<void(Result<size_t>)> cb);
  // One campaign's counters, after every outcome recorded before the call is committed.
  void campaign(std::string name, std::function<void(Result<CampaignReport>)> cb);

  // Before Store::start() only: drops recorded marketing sends
  // (Kind::MarketingSent) older than since_ms and calls fn(key_hash, at_ms)
  // for each remaining one, oldest first.
  Result<void> load_marketing_sends(int64_t since_ms, const std::function<void(uint64_t key, int64_t at_ms)>& fn);
  // Before Store::start() only: on a database shared with other instances
  // ([store] backend = "postgres"), fn(key_hash, at_ms) runs on the store
  // thread for each marketing send another instance admitted, within about
  // follow_interval_ms of its commit. fn must outlive the Store.
  void on_remote_marketing_send(std::function<void(uint64_t key, int64_t at_ms)> fn) { remote_ = std::move(fn); }
  // Store thread: another instance's marketing send (Backend::follow).
  void remote_marketing_send(uint64_t key, int64_t at_ms) const {
    if (remote_) remote_(key, at_ms);
  }

 private:
  detail::Backend& db_;
  detail::Writer& writer_;
  const HashKey& key_;
  std::function<void(uint64_t, int64_t)> remote_;
};

}  // namespace pushgw::store
