// The app table across reloads (issue 15, item 10): fingerprints carry no
// key material, and ids stay bounded however often the config changes.
#include "daemon/apps.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "crypto/keys.h"

namespace pushgw::daemon {
namespace {

std::string p256_pem() {
  auto k = crypto::generate_p256();
  EXPECT_TRUE(k.ok());
  return k.ok() ? crypto::private_key_to_pem(k.value().get()) : std::string();
}

settings::ApnsApp apns(const std::string& name, const std::string& pem, const std::string& topic = "com.example") {
  settings::ApnsApp a;
  a.app = name;
  a.team_id = "TEAM123456";
  a.key_id = "KEY1234567";
  a.key_pem = pem;
  a.topic = topic;
  return a;
}

settings::WebPushApp webpush(const std::string& name, const std::string& pem) {
  settings::WebPushApp w;
  w.app = name;
  w.vapid_key_pem = pem;
  w.vapid_subject = "mailto:ops@example.com";
  return w;
}

std::unique_ptr<Apps> build(const settings::Settings& s) {
  auto r = build_apps(s);
  EXPECT_TRUE(r.ok()) << (r.ok() ? "" : r.error().message);
  return r.ok() ? std::move(r.value()) : nullptr;
}

// The PEM body without its armour lines: what a leak would show.
std::string pem_body(const std::string& pem) {
  const size_t start = pem.find('\n') + 1;
  return pem.substr(start, pem.find("-----END") - start);
}

TEST(Apps, FingerprintsCarryADigestNotTheKey) {
  const std::string k1 = p256_pem(), k2 = p256_pem();
  settings::Settings s;
  s.apns.push_back(apns("shop-ios", k1));
  s.webpush.push_back(webpush("shop-web", k2));
  auto apps = build(s);
  ASSERT_TRUE(apps);
  ASSERT_EQ(apps->table->size(), 2u);
  for (const auto& rt : *apps->table) {
    EXPECT_EQ(rt.fingerprint.find("PRIVATE KEY"), std::string::npos) << rt.name;
    EXPECT_EQ(rt.fingerprint.find(pem_body(k1).substr(0, 40)), std::string::npos) << rt.name;
    EXPECT_EQ(rt.fingerprint.find(pem_body(k2).substr(0, 40)), std::string::npos) << rt.name;
  }
  // Still a fingerprint: another key is another app version.
  settings::Settings other;
  other.apns.push_back(apns("shop-ios", k2));
  EXPECT_NE(build(other)->table->at(0).fingerprint, apps->table->at(0).fingerprint);
}

// A key rotated back and forth, an app removed and added again: the table
// keeps two versions, not one per reload.
TEST(Apps, FlappingReloadsReuseIds) {
  const std::string k1 = p256_pem(), k2 = p256_pem();
  settings::Settings a, b, none;
  a.apns.push_back(apns("shop-ios", k1));
  b.apns.push_back(apns("shop-ios", k2));
  std::unique_ptr<Apps> cur = build(a);
  ASSERT_TRUE(cur);
  for (int i = 0; i < 201; ++i) {  // ends on a
    const settings::Settings& next = i % 3 == 0 ? b : i % 3 == 1 ? none : a;
    std::vector<std::string> changes;
    auto merged = merge_apps(*cur, std::move(*build(next)), changes);
    ASSERT_TRUE(merged.ok()) << merged.error().message;
    cur = std::move(merged.value());
    ASSERT_FALSE(changes.empty()) << i;
  }
  EXPECT_EQ(cur->table->size(), 2u);
  const ingest::AppInfo* live = cur->directory.find(Platform::Apns, "shop-ios");
  ASSERT_NE(live, nullptr);
  EXPECT_EQ(cur->table->at(live->app_id).fingerprint, build(a)->table->at(0).fingerprint);
}

// Ever new versions: bounded, and the reload past the bound is refused
// with a clear error instead of wrapping the 16-bit ids.
TEST(Apps, NewVersionsPastTheBoundAreRefused) {
  const std::string k = p256_pem();
  settings::Settings first;
  first.apns.push_back(apns("shop-ios", k, "t0"));
  std::unique_ptr<Apps> cur = build(first);
  ASSERT_TRUE(cur);
  std::string error;
  for (int i = 1; i < 2000 && error.empty(); ++i) {
    settings::Settings next;
    next.apns.push_back(apns("shop-ios", k, "t" + std::to_string(i)));
    std::vector<std::string> changes;
    auto merged = merge_apps(*cur, std::move(*build(next)), changes);
    if (!merged.ok()) {
      error = merged.error().message;
      break;
    }
    cur = std::move(merged.value());
  }
  EXPECT_EQ(cur->table->size(), max_app_ids(1));
  EXPECT_NE(error.find("restart pushgwd"), std::string::npos) << error;
}

}  // namespace
}  // namespace pushgw::daemon
