#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>

#include "net/address.h"

namespace pushgw::net {
namespace {

TEST(Address, ParsesIpLiterals) {
  auto v4 = parse_ip("127.0.0.1", 8443);
  ASSERT_TRUE(v4);
  EXPECT_EQ(v4->ss_family, AF_INET);
  EXPECT_EQ(to_string(reinterpret_cast<const sockaddr*>(&*v4)), "127.0.0.1:8443");
  auto v6 = parse_ip("[::1]", 443);
  ASSERT_TRUE(v6);
  EXPECT_EQ(v6->ss_family, AF_INET6);
  EXPECT_EQ(to_string(reinterpret_cast<const sockaddr*>(&*v6)), "[::1]:443");
  EXPECT_FALSE(parse_ip("localhost", 443));
  EXPECT_FALSE(parse_ip("", 443));
  EXPECT_FALSE(parse_ip("1.2.3.4.5", 443));
  EXPECT_TRUE(is_ip_literal("::1"));
  EXPECT_FALSE(is_ip_literal("api.push.apple.com"));
}

TEST(Address, FormatsAuthority) {
  EXPECT_EQ(authority("api.push.apple.com", 443), "api.push.apple.com");
  EXPECT_EQ(authority("localhost", 8443), "localhost:8443");
  EXPECT_EQ(authority("::1", 8443), "[::1]:8443");
  EXPECT_EQ(authority("127.0.0.1", 443), "127.0.0.1");
}

}  // namespace
}  // namespace pushgw::net
