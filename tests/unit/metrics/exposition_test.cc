#include "metrics/exposition.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <string>

namespace pushgw::metrics {
namespace {

std::string dbl(double v) {
  std::string s;
  append_double(s, v);
  return s;
}

TEST(Exposition, DoublesUseShortestRoundTripText) {
  EXPECT_EQ(dbl(0), "0");
  EXPECT_EQ(dbl(7), "7");
  EXPECT_EQ(dbl(-3), "-3");
  EXPECT_EQ(dbl(1000000), "1000000");
  EXPECT_EQ(dbl(0.0001), "0.0001");
  EXPECT_EQ(dbl(0.00025), "0.00025");
  EXPECT_EQ(dbl(2.5), "2.5");
  EXPECT_EQ(dbl(0.1), "0.1");
  EXPECT_EQ(dbl(1e21), "1e+21");
  EXPECT_EQ(dbl(std::numeric_limits<double>::quiet_NaN()), "NaN");
  EXPECT_EQ(dbl(std::numeric_limits<double>::infinity()), "+Inf");
  EXPECT_EQ(dbl(-std::numeric_limits<double>::infinity()), "-Inf");
  EXPECT_EQ(std::stod(dbl(0.1 + 0.2)), 0.1 + 0.2);
}

TEST(Exposition, EscapesLabelValuesAndHelp) {
  std::string s;
  append_escaped_label_value(s, "a\\b\"c\nd");
  EXPECT_EQ(s, "a\\\\b\\\"c\\nd");
  s.clear();
  append_escaped_help(s, "a\\b\"c\nd");
  EXPECT_EQ(s, "a\\\\b\"c\\nd");  // quotes stay as they are in HELP
}

TEST(Exposition, RendersLabelPairs) {
  const std::string names[] = {"platform", "reason"};
  const std::string values[] = {"apns", "Bad\"Token"};
  EXPECT_EQ(render_label_pairs(names, values), "platform=\"apns\",reason=\"Bad\\\"Token\"");
  EXPECT_EQ(render_label_pairs({}, {}), "");
}

TEST(Exposition, ValidatesNames) {
  EXPECT_TRUE(valid_metric_name("pushgw_notifications_total"));
  EXPECT_TRUE(valid_metric_name("a:b_c"));
  EXPECT_FALSE(valid_metric_name("9lives"));
  EXPECT_FALSE(valid_metric_name("has-dash"));
  EXPECT_FALSE(valid_metric_name(""));
  EXPECT_TRUE(valid_label_name("reason"));
  EXPECT_FALSE(valid_label_name("__reserved"));
  EXPECT_FALSE(valid_label_name("a:b"));
}

TEST(Exposition, SanitizesLabelValues) {
  EXPECT_EQ(sanitize_label_value("Unregistered"), "Unregistered");
  EXPECT_EQ(sanitize_label_value("caf\xc3\xa9"), "caf\xc3\xa9");             // valid UTF-8 kept
  EXPECT_EQ(sanitize_label_value("bad\xff\xfe!"), "bad??" "!");  // invalid bytes replaced
  EXPECT_EQ(sanitize_label_value("\xc0\xaf"), "??");                          // overlong form
  EXPECT_EQ(sanitize_label_value(std::string(500, 'x')), std::string(kMaxLabelValueBytes, 'x'));
  // A cut never splits a code point.
  std::string v(kMaxLabelValueBytes - 1, 'x');
  v += "\xc3\xa9";
  EXPECT_EQ(sanitize_label_value(v), std::string(kMaxLabelValueBytes - 1, 'x'));
  EXPECT_TRUE(label_value_ok("caf\xc3\xa9"));
  EXPECT_FALSE(label_value_ok("bad\xff"));
  EXPECT_FALSE(label_value_ok(std::string(kMaxLabelValueBytes + 1, 'x')));
}

}  // namespace
}  // namespace pushgw::metrics
