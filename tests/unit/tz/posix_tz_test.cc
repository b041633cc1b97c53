#include "tz/posix_tz.h"

#include <gtest/gtest.h>

namespace pushgw::tz {
namespace {

TEST(PosixTz, FixedOffsets) {
  auto utc = PosixTz::parse("UTC0");
  ASSERT_TRUE(utc);
  EXPECT_FALSE(utc->has_dst());
  EXPECT_EQ(utc->span_at(123).offset_s, 0);
  auto ist = PosixTz::parse("<+0530>-5:30");
  ASSERT_TRUE(ist);
  EXPECT_EQ(ist->span_at(0).offset_s, 19800);
  auto west = PosixTz::parse("<-03>3");
  ASSERT_TRUE(west);
  EXPECT_EQ(west->span_at(0).offset_s, -10800);
  auto nepal = PosixTz::parse("<+0545>-5:45");
  ASSERT_TRUE(nepal);
  EXPECT_EQ(nepal->span_at(0).offset_s, 20700);
}

TEST(PosixTz, EuropeanRule) {
  auto z = PosixTz::parse("CET-1CEST,M3.5.0,M10.5.0/3");
  ASSERT_TRUE(z);
  EXPECT_TRUE(z->has_dst());
  // 2026: last Sunday of March 01:00Z, last Sunday of October 01:00Z.
  EXPECT_EQ(z->span_at(1774745999).offset_s, 3600);
  OffsetSpan s = z->span_at(1774746000);
  EXPECT_EQ(s.offset_s, 7200);
  EXPECT_EQ(s.from_s, 1774746000);
  EXPECT_EQ(s.until_s, 1792890000);
  EXPECT_EQ(z->span_at(1792890000).offset_s, 3600);
  // 2100 (not a leap year; the last Sunday of March is the 28th).
  EXPECT_EQ(z->span_at(4109878799).offset_s, 3600);
  EXPECT_EQ(z->span_at(4109878800).offset_s, 7200);
}

TEST(PosixTz, DefaultRuleIsTheUsOne) {
  auto z = PosixTz::parse("EST5EDT");
  ASSERT_TRUE(z);
  EXPECT_EQ(z->span_at(1772953199).offset_s, -18000);  // 2026-03-08 06:59:59Z
  EXPECT_EQ(z->span_at(1772953200).offset_s, -14400);
  EXPECT_EQ(z->span_at(1793512800).offset_s, -18000);  // 2026-11-01 06:00Z
}

TEST(PosixTz, SouthernHemisphereAndJulianDays) {
  // Sydney: DST from the first Sunday of October to the first Sunday of April.
  auto syd = PosixTz::parse("AEST-10AEDT,M10.1.0,M4.1.0/3");
  ASSERT_TRUE(syd);
  EXPECT_EQ(syd->span_at(1775318399).offset_s, 39600);
  EXPECT_EQ(syd->span_at(1775318400).offset_s, 36000);
  EXPECT_EQ(syd->span_at(1791043200).offset_s, 39600);
  // Daylight time all year, as tzdata writes it: always the DST offset.
  auto all = PosixTz::parse("EST5EDT,0/0,J365/25");
  ASSERT_TRUE(all);
  for (int64_t t : {int64_t{0}, int64_t{5 * 3600}, int64_t{1780272000}, int64_t{1798761600},
                    int64_t{1798761600 + 5 * 3600}})
    EXPECT_EQ(all->span_at(t).offset_s, -14400) << t;
  // Jn never counts February 29: J60 is March 1 in every year.
  auto j = PosixTz::parse("AAA0BBB,J60/0,J300/0");
  ASSERT_TRUE(j);
  EXPECT_EQ(j->span_at(1709251200 - 1).offset_s, 0);     // 2024-02-29 23:59:59Z (leap year)
  EXPECT_EQ(j->span_at(1709251200).offset_s, 3600);      // 2024-03-01 00:00Z
  // Rule times beyond 24 h (RFC 8536).
  EXPECT_TRUE(PosixTz::parse("AAA0BBB,M3.5.0/-25,M10.5.0/167"));
}

TEST(PosixTz, RejectsMalformedStrings) {
  for (const char* bad : {"", "C-1", "CET", "CET-", "CET-1CEST,M3.5.0", "CET-1CEST,M13.1.0,M10.5.0",
                          "CET-1CEST,M3.6.0,M10.5.0", "CET-1CEST,M3.5.7,M10.5.0", "CET-1CEST,J0,J100",
                          "CET-1CEST,366,J100", "<+05>-5,x", "CET-25", "CET-1CEST,M3.5.0/168,M10.5.0",
                          "<ab>0", "CET-1:60", "CET-1CEST,M3.5.0,M10.5.0/3x"}) {
    EXPECT_FALSE(PosixTz::parse(bad)) << bad;
  }
}

}  // namespace
}  // namespace pushgw::tz
