#include "provider/common/retry_after.h"

#include <gtest/gtest.h>

namespace pushgw::provider {
namespace {

TEST(RetryAfter, Seconds) {
  EXPECT_EQ(parse_retry_after("120", 0), 120'000);
  EXPECT_EQ(parse_retry_after(" 0 ", 0), 0);
  EXPECT_EQ(parse_retry_after("", 0), -1);
  EXPECT_EQ(parse_retry_after("-5", 0), -1);
  EXPECT_EQ(parse_retry_after("soon", 0), -1);
}

TEST(RetryAfter, HugeDelaysAreCappedAtAYearWithoutOverflow) {
  constexpr int64_t kYearMs = 366LL * 24 * 3600 * 1000;
  EXPECT_EQ(parse_retry_after("31622401", 0), kYearMs);
  EXPECT_EQ(parse_retry_after("9223372036854775807", 0), kYearMs);  // INT64_MAX seconds
  EXPECT_EQ(parse_retry_after("99999999999999999999999", 0), kYearMs);  // beyond int64_t
  EXPECT_EQ(parse_retry_after("0000000000007", 0), 7'000);
}

TEST(RetryAfter, HttpDate) {
  // 784111777 = Sun, 06 Nov 1994 08:49:37 GMT (RFC 9110 example).
  EXPECT_EQ(parse_http_date("Sun, 06 Nov 1994 08:49:37 GMT"), 784111777000);
  EXPECT_EQ(parse_retry_after("Sun, 06 Nov 1994 08:49:37 GMT", 784111777000 - 30'000), 30'000);
  EXPECT_EQ(parse_retry_after("Sun, 06 Nov 1994 08:49:37 GMT", 784111777000 + 5000), 0);
  EXPECT_EQ(parse_http_date("Sun, 06 Foo 1994 08:49:37 GMT"), -1);
}

}  // namespace
}  // namespace pushgw::provider
