// Campaign policy in the store: per-campaign counters from outcomes,
// engagement events, and marketing-send history reloaded at open.
#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "store/key_hash.h"
#include "store/store.h"
#include "store_file_test.h"
#include "store_test_util.h"

namespace pushgw::store {
namespace {

using namespace testing;

class StoreCampaign : public StoreFileTest {};

CampaignReport get_campaign(Store& s, const std::string& name) {
  auto r = await<Result<CampaignReport>>([&](auto cb) { s.campaigns().campaign(name, cb); });
  if (!r || !r->ok()) {
    ADD_FAILURE() << "campaign() failed";
    return CampaignReport{};
  }
  return r->value();
}

TEST_F(StoreCampaign, OutcomesAndEngagementCountPerCampaignAndPersist) {
  {
    auto s = start_store(path, clock);
    ASSERT_TRUE(s);
    record_spin(*s, 0, outcome(Kind::Delivered, hex_token(1), "spring"));
    record_spin(*s, 0, outcome(Kind::Delivered, hex_token(2), "spring"));
    record_spin(*s, 0, outcome(Kind::Failed, hex_token(3), "spring", "InternalServerError"));
    record_spin(*s, 0, outcome(Kind::Unsubscribed, hex_token(4), "spring", "Unregistered"));
    record_spin(*s, 0, outcome(Kind::Suppressed, hex_token(4), "spring"));
    record_spin(*s, 0, outcome(Kind::Capped, hex_token(1), "spring"));
    record_spin(*s, 0, outcome(Kind::Expired, hex_token(2), "spring"));
    record_spin(*s, 0, outcome(Kind::Delivered, hex_token(1), "autumn"));
    record_spin(*s, 0, outcome(Kind::Delivered, hex_token(9)));  // no campaign
    std::vector<EngagementEvent> ev(3);
    ev[0] = {"spring", Platform::Apns, "shop-ios", hex_token(1), Engagement::Open, clock.now_ms()};
    ev[1] = {"spring", Platform::Apns, "shop-ios", hex_token(1), Engagement::Click, clock.now_ms()};
    ev[2] = {"spring", Platform::Apns, "shop-ios", hex_token(2), Engagement::Conversion, clock.now_ms()};
    auto n = await<Result<size_t>>([&](auto cb) { s->campaigns().engagement(ev, cb); });
    ASSERT_TRUE(n && n->ok());
    EXPECT_EQ(n->value(), 3u);

    CampaignReport c = get_campaign(*s, "spring");
    EXPECT_TRUE(c.found);
    EXPECT_EQ(c.sent, 4u);
    EXPECT_EQ(c.delivered, 2u);
    EXPECT_EQ(c.failed, 1u);
    EXPECT_EQ(c.unsubscribed, 1u);
    EXPECT_EQ(c.invalid, 0u);
    EXPECT_EQ(c.suppressed, 1u);
    EXPECT_EQ(c.capped, 1u);
    EXPECT_EQ(c.expired, 1u);
    EXPECT_EQ(c.opened, 1u);
    EXPECT_EQ(c.clicked, 1u);
    EXPECT_EQ(c.converted, 1u);
    // Suppressed/capped/expired are no sends: the token rows do not count them.
    EXPECT_EQ(get_token(*s, Platform::Apns, "shop-ios", hex_token(1)).sent, 2u);
    EXPECT_EQ(get_campaign(*s, "autumn").delivered, 1u);
    EXPECT_FALSE(get_campaign(*s, "nope").found);
  }
  auto s = start_store(path, clock);
  ASSERT_TRUE(s);
  CampaignReport c = get_campaign(*s, "spring");
  EXPECT_EQ(c.sent, 4u);
  EXPECT_EQ(c.opened, 1u);
}

TEST_F(StoreCampaign, MarketingSendsReloadWithinTheWindowOnly) {
  {
    auto s = start_store(path, clock);
    ASSERT_TRUE(s);
    const std::string t1 = hex_token(1), t2 = hex_token(2);  // Outcome holds views
    Outcome old = outcome(Kind::MarketingSent, t1);
    old.at_ms = clock.now_ms() - 2 * 86'400'000;
    record_spin(*s, 0, old);
    Outcome recent = outcome(Kind::MarketingSent, t1);
    recent.at_ms = clock.now_ms() - 1000;
    record_spin(*s, 0, recent);
    recent.token = t2;
    record_spin(*s, 0, recent);
    ASSERT_TRUE(wait_commit(*s));
    // Not a send: no token row.
    EXPECT_EQ(get_token(*s, Platform::Apns, "shop-ios", hex_token(1)).state, "unknown");
  }
  auto s = open_store(path, clock);
  ASSERT_TRUE(s);
  std::vector<std::pair<uint64_t, int64_t>> got;
  ASSERT_TRUE(s->campaigns().load_marketing_sends(clock.now_ms() - 86'400'000,
                                      [&](uint64_t k, int64_t at) { got.emplace_back(k, at); }));
  ASSERT_EQ(got.size(), 2u);
  EXPECT_EQ(got[0].first, s->key(Platform::Apns, "shop-ios", hex_token(1)));
  EXPECT_EQ(got[0].second, clock.now_ms() - 1000);
  EXPECT_EQ(got[1].first, s->key(Platform::Apns, "shop-ios", hex_token(2)));
}

}  // namespace
}  // namespace pushgw::store
