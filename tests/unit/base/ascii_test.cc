#include "base/ascii.h"

#include <gtest/gtest.h>

namespace pushgw::base {
namespace {

TEST(Ascii, IequalsFoldsAsciiLettersOnly) {
  EXPECT_TRUE(iequals("Content-Length", "content-length"));
  EXPECT_TRUE(iequals("", ""));
  EXPECT_FALSE(iequals("abc", "abcd"));
  // '@' (0x40) and '`' (0x60) differ only in bit 0x20: not letters, not equal.
  EXPECT_FALSE(iequals("@", "`"));
  EXPECT_FALSE(iequals("\x1a", ":"));
  EXPECT_FALSE(iequals("\xc3\x89", "\xc3\xa9"));  // no Unicode folding
  EXPECT_TRUE(istarts_with("Vapid t=1", "vapid "));
  EXPECT_FALSE(istarts_with("vap", "vapid "));
}

TEST(Ascii, HexDigits) {
  for (int v = 0; v < 16; ++v) {
    EXPECT_EQ(hex_digit_value(kHexLower[v]), v);
    EXPECT_EQ(hex_digit_value(kHexUpper[v]), v);
  }
  EXPECT_EQ(hex_digit_value('g'), -1);
  EXPECT_EQ(hex_digit_value('/'), -1);
  EXPECT_EQ(hex_digit_value('\0'), -1);
}

TEST(Ascii, PercentEncodeKeepsOnlyUnreserved) {
  std::string out;
  percent_encode_append(out, "a-Z.0_~ /:+%\xff");
  EXPECT_EQ(out, "a-Z.0_~%20%2F%3A%2B%25%FF");
}

TEST(Ascii, PercentDecodeRoundTripsAndRefusesBadEscapes) {
  std::string all;
  for (int c = 0; c < 256; ++c) all.push_back(static_cast<char>(c));
  std::string enc, dec;
  percent_encode_append(enc, all);
  ASSERT_TRUE(percent_decode(enc, dec));
  EXPECT_EQ(dec, all);
  EXPECT_TRUE(percent_decode("p%40ss%3a", dec));
  EXPECT_EQ(dec, "p@ss:");
  EXPECT_FALSE(percent_decode("%", dec));
  EXPECT_FALSE(percent_decode("%4", dec));
  EXPECT_FALSE(percent_decode("%4g", dec));
  EXPECT_FALSE(percent_decode("ab%", dec));
}

}  // namespace
}  // namespace pushgw::base
