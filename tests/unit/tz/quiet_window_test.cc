#include "tz/quiet_window.h"

#include <gtest/gtest.h>

#include "tz/zone_cache.h"

namespace pushgw::tz {
namespace {

constexpr int64_t kJune1 = 1780272000;  // 2026-06-01 00:00:00Z
constexpr int64_t kH = 3600;

int64_t ms(int64_t s) { return s * 1000; }

class QuietWindowTest : public ::testing::Test {
 protected:
  const Zone& z(const char* name) {
    const Zone* zone = zones_.find(name);
    EXPECT_NE(zone, nullptr) << name;
    return zone ? *zone : utc_;
  }
  ZoneCache zones_;
  Zone utc_ = Zone::fixed(0);
};

TEST(QuietWindowParse, Formats) {
  auto w = QuietWindow::parse("22:00-08:00");
  ASSERT_TRUE(w);
  EXPECT_EQ(w->start_minute(), 22 * 60);
  EXPECT_EQ(w->end_minute(), 8 * 60);
  EXPECT_TRUE(w->contains(23 * 60));
  EXPECT_TRUE(w->contains(0));
  EXPECT_TRUE(w->contains(8 * 60 - 1));
  EXPECT_FALSE(w->contains(8 * 60));
  EXPECT_FALSE(w->contains(22 * 60 - 1));
  for (const char* bad : {"", "22:00", "22:00-22:00", "24:00-08:00", "22:60-08:00", "2200-0800", "22:00 08:00",
                          "22:00-08:0x", "22:00-08:00 "})
    EXPECT_FALSE(QuietWindow::parse(bad)) << bad;
}

TEST_F(QuietWindowTest, HeldUntilLocalWindowEnd) {
  auto w = *QuietWindow::parse("22:00-08:00");
  const Zone& berlin = z("Europe/Berlin");
  // 21:30Z = 23:30 CEST: held until 08:00 CEST = 06:00Z next day.
  EXPECT_EQ(w.release_at(berlin, ms(kJune1 + 21 * kH + 1800)), ms(kJune1 + 24 * kH + 6 * kH));
  EXPECT_EQ(w.release_at(berlin, ms(kJune1 + 20 * kH)), ms(kJune1 + 30 * kH));  // 22:00 sharp: inside
  EXPECT_EQ(w.release_at(berlin, ms(kJune1 + 30 * kH) - 1), ms(kJune1 + 30 * kH));
  EXPECT_EQ(w.release_at(berlin, ms(kJune1 + 30 * kH)), 0);  // 08:00 sharp: outside
  EXPECT_EQ(w.release_at(berlin, ms(kJune1 + 12 * kH)), 0);  // afternoon
  // 23:00Z: 04:30 in Kolkata (held until 08:00 IST = 02:30Z), 19:00 in New York (not quiet).
  EXPECT_EQ(w.release_at(z("Asia/Kolkata"), ms(kJune1 + 23 * kH)), ms(kJune1 + 24 * kH + 2 * kH + 1800));
  EXPECT_EQ(w.release_at(z("America/New_York"), ms(kJune1 + 23 * kH)), 0);
  EXPECT_EQ(w.release_at(z("UTC"), ms(kJune1 + 23 * kH)), ms(kJune1 + 32 * kH));
}

TEST_F(QuietWindowTest, WindowWithinOneDay) {
  auto w = *QuietWindow::parse("01:00-05:00");
  const Zone& utc = z("UTC");
  EXPECT_EQ(w.release_at(utc, ms(kJune1 + kH) - 1), 0);
  EXPECT_EQ(w.release_at(utc, ms(kJune1 + kH)), ms(kJune1 + 5 * kH));
  EXPECT_EQ(w.release_at(utc, ms(kJune1 + 5 * kH)), 0);
  // Before 1970 the arithmetic floors correctly.
  EXPECT_EQ(w.release_at(utc, ms(-86400 + 2 * kH)), ms(-86400 + 5 * kH));
}

TEST_F(QuietWindowTest, DaylightSavingChangesAtNight) {
  const Zone& berlin = z("Europe/Berlin");
  // 2026-03-29: 02:00 CET jumps to 03:00 CEST at 01:00Z. A window ending at
  // 02:30 ends with the jump (02:30 never happens that night).
  auto gap = *QuietWindow::parse("22:00-02:30");
  EXPECT_EQ(gap.release_at(berlin, ms(1774735200)), ms(1774746000));  // from 23:00 CET
  // 2026-10-25: 03:00 CEST falls back to 02:00 CET at 01:00Z.
  EXPECT_EQ(gap.release_at(berlin, ms(1792875600)), ms(1792888200));  // 02:30 CEST (first time), 00:30Z
  auto late = *QuietWindow::parse("22:00-03:30");
  EXPECT_EQ(late.release_at(berlin, ms(1792875600)), ms(1792895400));  // 03:30 CET = 02:30Z
  // New York, spring forward (2026-03-08 07:00Z): 08:00 EDT = 12:00Z.
  auto w = *QuietWindow::parse("22:00-08:00");
  EXPECT_EQ(w.release_at(z("America/New_York"), ms(1772953200 - 4 * kH)), ms(1772953200 + 5 * kH));
}

}  // namespace
}  // namespace pushgw::tz
