#include <gtest/gtest.h>

#include "config/origin.h"

namespace pushgw::config {
namespace {

TEST(HttpsOrigin, SplitsHostAndPort) {
  auto a = parse_https_origin("https://127.0.0.1:8443");
  ASSERT_TRUE(a.ok());
  EXPECT_EQ(a->host, "127.0.0.1");
  EXPECT_EQ(a->port, 8443);
  auto b = parse_https_origin("https://fcm.googleapis.com/");
  ASSERT_TRUE(b.ok());
  EXPECT_EQ(b->host, "fcm.googleapis.com");
  EXPECT_EQ(b->port, 443);
  auto c = parse_https_origin("https://[::1]:9443");
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->host, "::1");
  EXPECT_EQ(c->port, 9443);
  auto d = parse_https_origin("HTTPS://Push.Example.:8443");  // scheme case-insensitive, FQDN dot dropped
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(d->host, "Push.Example");
  EXPECT_EQ(d->port, 8443);
}

TEST(HttpsOrigin, RejectsAnythingButABareHttpsOrigin) {
  for (const char* bad : {"", "http://h:1", "https://", "https://h:", "https://h:0", "https://h:65536", "https://h:80a",
                          "https://h/path", "https://u@h", "https://h?x=1", "https://[::1", "https://[::1]x",
                          "https://h h", "https://[]:1", "https://h:1:2", "https://h#f", "https://h/#f",
                          "https://h%41", "https://a..b"}) {
    auto r = parse_https_origin(bad);
    EXPECT_FALSE(r.ok()) << bad;
    if (!r.ok()) {
      EXPECT_EQ(r.error().code, "bad_url");
    }
  }
}

}  // namespace
}  // namespace pushgw::config
