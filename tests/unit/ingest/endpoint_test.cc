#include "ingest/endpoint.h"

#include <gtest/gtest.h>

namespace pushgw::ingest {
namespace {

TEST(HttpsUrl, ParsesHostPortPath) {
  auto u = parse_https_url("https://push.example.net/wp/abc?x=1#frag");
  ASSERT_TRUE(u.ok());
  EXPECT_EQ(u->host, "push.example.net");
  EXPECT_EQ(u->authority, "push.example.net");
  EXPECT_EQ(u->port, 443);
  EXPECT_EQ(u->path, "/wp/abc?x=1");
  auto v = parse_https_url("HTTPS://[::1]:8443");
  ASSERT_TRUE(v.ok());
  EXPECT_EQ(v->host, "::1");
  EXPECT_TRUE(v->ipv6_literal);
  EXPECT_EQ(v->authority, "[::1]:8443");
  EXPECT_EQ(v->port, 8443);
  EXPECT_EQ(v->path, "/");
}

TEST(HttpsUrl, Errors) {
  EXPECT_EQ(parse_https_url("http://push.example.net/x").error().code, "endpoint_refused");
  EXPECT_EQ(parse_https_url("ftp://push.example.net/x").error().code, "endpoint_refused");
  for (const char* bad : {"", "push.example.net/x", "https://", "https:///x", "https://user@host/x",
                          "https://host:0/", "https://host:65536/", "https://host:/", "https://host:12a/",
                          "https://[::1/", "https://[zz::1]/", "https://ho st/", "https://host/a b",
                          "https://h\xc3\xa9st/", "https://host\n/", "://host/", "https://ho%73t/"}) {
    auto r = parse_https_url(bad);
    ASSERT_FALSE(r.ok()) << bad;
    EXPECT_EQ(r.error().code, "bad_subscription") << bad;
  }
}

}  // namespace
}  // namespace pushgw::ingest
