#include "base/authority.h"

#include <gtest/gtest.h>

namespace pushgw::base {
namespace {

HttpsUrl url_ok(std::string_view text) {
  HttpsUrl u;
  EXPECT_EQ(parse_https_url(text, u), UrlError::None) << text;
  return u;
}

UrlError url_error(std::string_view text) {
  HttpsUrl u;
  return parse_https_url(text, u);
}

std::string canonical(const Authority& a, bool always_port = true) {
  std::string out;
  append_authority(out, a, always_port);
  return out;
}

TEST(HttpsUrl, SplitsHostPortAndPath) {
  HttpsUrl u = url_ok("https://push.example.net/wp/abc?x=1#frag");
  EXPECT_EQ(u.authority.host, "push.example.net");
  EXPECT_EQ(u.authority_text, "push.example.net");
  EXPECT_EQ(u.authority.port, 443);
  EXPECT_FALSE(u.authority.has_port);
  EXPECT_EQ(u.path, "/wp/abc?x=1");  // the fragment is never sent

  HttpsUrl v = url_ok("HTTPS://[::1]:8443");
  EXPECT_EQ(v.authority.host, "::1");
  EXPECT_TRUE(v.authority.ipv6);
  EXPECT_EQ(v.authority_text, "[::1]:8443");
  EXPECT_EQ(v.authority.port, 8443);
  EXPECT_EQ(v.path, "/");

  EXPECT_EQ(url_ok("https://h?q=1").path, "?q=1");
  EXPECT_EQ(url_ok("https://h#f").path, "/");
  EXPECT_EQ(url_ok("https://h/#f").path, "/");
  EXPECT_EQ(url_ok("https://h:0443/").authority.port, 443);  // leading zeros are digits
}

TEST(HttpsUrl, SchemeErrorsAreTellable) {
  EXPECT_EQ(url_error("http://push.example.net/x"), UrlError::NotHttps);
  EXPECT_EQ(url_error("ftp://push.example.net/x"), UrlError::NotHttps);
  EXPECT_EQ(url_error("https+x://h/"), UrlError::NotHttps);
  EXPECT_EQ(url_error(""), UrlError::NotAbsolute);
  EXPECT_EQ(url_error("push.example.net/x"), UrlError::NotAbsolute);
  EXPECT_EQ(url_error("://host/"), UrlError::NotAbsolute);
  EXPECT_EQ(url_error("1https://host/"), UrlError::NotAbsolute);
  EXPECT_EQ(url_error("a/b://host/"), UrlError::NotAbsolute);
  // A byte that folds to ':' under a careless (c | 0x20) compare is not "https:".
  EXPECT_EQ(url_error("https\x1a//host/"), UrlError::BadBytes);
}

TEST(HttpsUrl, RefusesWhatTwoParsersCouldReadDifferently) {
  struct Case {
    const char* url;
    UrlError want;
  };
  for (const Case& c : std::initializer_list<Case>{
           {"https://", UrlError::NoHost},
           {"https:///x", UrlError::NoHost},
           {"https://:443/", UrlError::NoHost},
           {"https://user@host/x", UrlError::Userinfo},
           {"https://user:pw@host/x", UrlError::Userinfo},
           {"https://evil.example@good.example/", UrlError::Userinfo},
           {"https://host:0/", UrlError::BadPort},
           {"https://host:65536/", UrlError::BadPort},
           {"https://host:/", UrlError::BadPort},
           {"https://host:12a/", UrlError::BadPort},
           {"https://host:+1/", UrlError::BadPort},
           {"https://host:000443/", UrlError::BadPort},  // more than 5 digits
           {"https://host:1:2/", UrlError::BadPort},
           {"https://[::1/", UrlError::BadIpv6},
           {"https://[zz::1]/", UrlError::BadIpv6},
           {"https://[]/", UrlError::BadIpv6},
           {"https://[fe80::1%25eth0]/", UrlError::BadIpv6},  // zone ids are refused
           {"https://[127.0.0.1]/", UrlError::BadIpv6},
           {"https://[::1]x/", UrlError::BadHost},
           {"https://::1/", UrlError::NoHost},
           {"https://ho%73t/", UrlError::BadHost},  // no percent-encoding in hosts
           {"https://a..b/", UrlError::BadHost},
           {"https://.a/", UrlError::BadHost},
           {"https://a../", UrlError::BadHost},
           {"https://./", UrlError::BadHost},
           {"https://h\\@evil/", UrlError::Userinfo},
           {"https://h\\x/", UrlError::BadHost},
           {"https://ho st/", UrlError::BadBytes},
           {"https://host/a b", UrlError::BadBytes},
           {"https://h\xc3\xa9st/", UrlError::BadBytes},
           {"https://host\n/", UrlError::BadBytes},
           {"https://host/\x7f", UrlError::BadBytes},
       }) {
    EXPECT_EQ(url_error(c.url), c.want) << c.url;
  }
}

TEST(HttpsUrl, NameLengthIsBounded) {
  const std::string label(63, 'a');
  std::string name = label + "." + label + "." + label + "." + std::string(61, 'b');  // 253 bytes
  EXPECT_EQ(url_error("https://" + name + "/"), UrlError::None);
  EXPECT_EQ(url_error("https://" + name + "./"), UrlError::None);
  EXPECT_EQ(url_error("https://" + name + "b/"), UrlError::BadHost);
}

TEST(Authority, CanonicalFormLowercasesAndDropsTheTrailingDot) {
  HttpsUrl u = url_ok("https://Push.EXAMPLE.net./x");
  EXPECT_EQ(u.authority.host, "Push.EXAMPLE.net");
  EXPECT_EQ(canonical(u.authority), "push.example.net:443");
  EXPECT_EQ(canonical(u.authority, false), "push.example.net");
  HttpsUrl v = url_ok("https://[FE80::A]:8443/");
  EXPECT_EQ(canonical(v.authority), "[fe80::a]:8443");
  EXPECT_EQ(canonical(v.authority, false), "[fe80::a]:8443");
  HttpsUrl w = url_ok("https://127.0.0.1.:443");
  EXPECT_EQ(w.authority.host, "127.0.0.1");  // what the SSRF guard classifies
  EXPECT_EQ(canonical(w.authority, false), "127.0.0.1");
}

TEST(Authority, CanonicalFormParsesBackToTheSameAuthority) {
  for (const char* text : {"a.example", "A.Example.:8443", "[::FFFF:127.0.0.1]", "[2001:db8::1]:1", "x_y-z:65535",
                           "0x7f.1", "127.1"}) {
    Authority a;
    ASSERT_EQ(parse_authority(text, AuthorityRules{}, a), UrlError::None) << text;
    const std::string c = canonical(a);
    Authority b;
    ASSERT_EQ(parse_authority(c, AuthorityRules{}, b), UrlError::None) << c;
    EXPECT_TRUE(same_authority(a, b)) << text << " -> " << c;
    EXPECT_EQ(canonical(b), c);
  }
}

TEST(Authority, ListenAddressesNeedAPortAndMayUseZero) {
  Authority a;
  ASSERT_EQ(parse_authority("127.0.0.1:9464", kListenAddress, a), UrlError::None);
  EXPECT_EQ(a.host, "127.0.0.1");
  EXPECT_EQ(a.port, 9464);
  ASSERT_EQ(parse_authority("[::1]:0", kListenAddress, a), UrlError::None);
  EXPECT_EQ(a.host, "::1");
  EXPECT_EQ(a.port, 0);
  EXPECT_EQ(parse_authority("localhost", kListenAddress, a), UrlError::BadPort);
  EXPECT_EQ(a.host, "");  // reset on error
  EXPECT_EQ(parse_authority("::1:80", kListenAddress, a), UrlError::NoHost);
  EXPECT_EQ(parse_authority("host:", kListenAddress, a), UrlError::BadPort);
  EXPECT_EQ(parse_authority("host:99999", kListenAddress, a), UrlError::BadPort);
  EXPECT_EQ(parse_authority(":80", kListenAddress, a), UrlError::NoHost);
  EXPECT_EQ(parse_authority("*:80", kListenAddress, a), UrlError::BadHost);
}

TEST(Authority, DefaultPortAppliesWithoutOne) {
  Authority a;
  ASSERT_EQ(parse_authority("redis.internal", AuthorityRules{.default_port = 6379}, a), UrlError::None);
  EXPECT_EQ(a.port, 6379);
  EXPECT_FALSE(a.has_port);
  EXPECT_EQ(parse_authority("redis.internal:0", AuthorityRules{.default_port = 6379}, a), UrlError::BadPort);
  EXPECT_EQ(a.port, 6379);
}

}  // namespace
}  // namespace pushgw::base
