#include "net/ip_class.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>

#include <cstring>

namespace pushgw::net {
namespace {

struct Case {
  const char* addr;
  IpClass want;
};

const Case kTable[] = {
    {"127.0.0.1", IpClass::Loopback},
    {"127.255.1.2", IpClass::Loopback},
    {"10.0.0.1", IpClass::Private},
    {"10.255.255.255", IpClass::Private},
    {"172.16.0.1", IpClass::Private},
    {"172.31.255.254", IpClass::Private},
    {"172.32.0.1", IpClass::Public},
    {"192.168.1.1", IpClass::Private},
    {"169.254.169.254", IpClass::LinkLocal},
    {"100.64.0.1", IpClass::Private},
    {"100.127.255.255", IpClass::Private},
    {"100.128.0.1", IpClass::Public},
    {"224.0.0.1", IpClass::Multicast},
    {"239.255.255.250", IpClass::Multicast},
    {"0.0.0.0", IpClass::Unspecified},
    {"255.255.255.255", IpClass::Broadcast},
    {"240.0.0.1", IpClass::Reserved},
    {"192.0.2.10", IpClass::Reserved},
    {"8.8.8.8", IpClass::Public},
    {"1.1.1.1", IpClass::Public},
    // Legacy IPv4 spellings resolvers accept.
    {"127.1", IpClass::Loopback},
    {"0x7f000001", IpClass::Loopback},
    {"2130706433", IpClass::Loopback},
    {"017700000001", IpClass::Loopback},
    // IPv6
    {"::1", IpClass::Loopback},
    {"[::1]", IpClass::Loopback},
    {"::", IpClass::Unspecified},
    {"fe80::1", IpClass::LinkLocal},
    {"febf::1", IpClass::LinkLocal},
    {"fc00::1", IpClass::Private},
    {"fd12::1", IpClass::Private},
    {"fec0::1", IpClass::Private},
    {"ff02::1", IpClass::Multicast},
    {"::ffff:127.0.0.1", IpClass::Loopback},
    {"::ffff:10.1.2.3", IpClass::Private},
    {"::ffff:8.8.8.8", IpClass::Public},
    {"64:ff9b::7f00:1", IpClass::Loopback},
    {"64:ff9b::8.8.8.8", IpClass::Public},
    {"2002:c0a8:0101::1", IpClass::Private},
    {"2001:db8::1", IpClass::Reserved},
    {"::127.0.0.1", IpClass::Reserved},
    {"2001:4860::1", IpClass::Public},
    {"2606:4700:4700::1111", IpClass::Public},
    // Not IP literals
    {"push.example.net", IpClass::NotIp},
    {"cafe.example", IpClass::NotIp},
    {"fe80::1%eth0", IpClass::NotIp},
    {"1.2.3.4.5", IpClass::NotIp},
    {"", IpClass::NotIp},
    {"deadbeef", IpClass::NotIp},
};

TEST(IpClass, ClassifyTable) {
  for (const Case& c : kTable)
    EXPECT_EQ(classify_ip(c.addr), c.want) << c.addr << " -> " << to_string(classify_ip(c.addr));
}

TEST(IpClass, LocalhostNamesAreLoopback) {
  EXPECT_EQ(classify_host("localhost"), IpClass::Loopback);
  EXPECT_EQ(classify_host("LocalHost."), IpClass::Loopback);
  EXPECT_EQ(classify_host("api.localhost"), IpClass::Loopback);
  EXPECT_EQ(classify_host("notlocalhost"), IpClass::NotIp);
  EXPECT_EQ(classify_host("localhost.example.com"), IpClass::NotIp);
  EXPECT_EQ(classify_host("10.0.0.1."), IpClass::Private);
  EXPECT_EQ(classify_host("8.8.8.8"), IpClass::Public);
}

TEST(IpClass, SockaddrMatchesTable) {
  for (const Case& c : kTable) {
    std::string_view a = c.addr;
    if (a.size() >= 2 && a.front() == '[') a = a.substr(1, a.size() - 2);
    std::string s(a);
    sockaddr_in in{};
    sockaddr_in6 in6{};
    if (inet_pton(AF_INET, s.c_str(), &in.sin_addr) == 1) {
      in.sin_family = AF_INET;
      EXPECT_EQ(is_public_address(reinterpret_cast<sockaddr*>(&in)), c.want == IpClass::Public) << s;
    } else if (inet_pton(AF_INET6, s.c_str(), &in6.sin6_addr) == 1) {
      in6.sin6_family = AF_INET6;
      EXPECT_EQ(is_public_address(reinterpret_cast<sockaddr*>(&in6)), c.want == IpClass::Public) << s;
    }
  }
  sockaddr other{};
  other.sa_family = AF_UNIX;
  EXPECT_FALSE(is_public_address(&other));
  EXPECT_FALSE(is_public_address(nullptr));
}

}  // namespace
}  // namespace pushgw::net
