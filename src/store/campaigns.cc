#include "store/campaigns.h"

#include "store/backend.h"
#include "store/writer.h"

namespace pushgw::store {

void Campaigns::engagement(std::vector<EngagementEvent> events, std::function<void(Result<size_t>)> cb) {
  writer_.submit([events = std::move(events), cb = std::move(cb)](detail::Backend& db) {
    cb(db.campaigns().record_engagement(events));
  });
}

void Campaigns::campaign(std::string name, std::function<void(Result<CampaignReport>)> cb) {
  writer_.submit([name = std::move(name), cb = std::move(cb)](detail::Backend& db) {
    cb(db.campaigns().campaign(name));
  });
}

Result<void> Campaigns::load_marketing_sends(int64_t since_ms, const std::function<void(uint64_t, int64_t)>& fn) {
  return db_.for_each_marketing_send(since_ms, [&](Platform p, std::string_view app, std::string_view token,
                                                   int64_t at_ms) { fn(key_hash(key_, p, app, token), at_ms); });
}

}  // namespace pushgw::store
