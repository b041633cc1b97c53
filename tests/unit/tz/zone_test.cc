// TZif zones against known transitions (tzdata as installed), and against
// glibc's own reading of the same files over decades.
#include "tz/zone.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <ctime>
#include <fstream>
#include <sstream>
#include <string>

#include "tz/zone_cache.h"

namespace pushgw::tz {
namespace {

std::string slurp(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

Zone zone(const std::string& name) {
  auto z = Zone::parse_tzif(slurp(std::string(kZoneinfoDir) + "/" + name));
  EXPECT_TRUE(z.ok()) << name << ": " << (z.ok() ? "" : z.error().message);
  return z.ok() ? z.value() : Zone::fixed(0);
}

struct Known {
  const char* zone;
  int64_t t;
  int32_t offset;
};

// Reference values from Python's zoneinfo on the same tzdata.
constexpr Known kKnown[] = {
    {"Europe/Berlin", 1774745999, 3600},      // 2026-03-29 00:59:59Z, CET
    {"Europe/Berlin", 1774746000, 7200},      // 01:00Z: CEST
    {"Europe/Berlin", 1792889999, 7200},      // 2026-10-25 00:59:59Z
    {"Europe/Berlin", 1792890000, 3600},      // back to CET
    {"America/New_York", 1772953199, -18000}, // 2026-03-08 06:59:59Z, EST
    {"America/New_York", 1772953200, -14400}, // EDT
    {"America/New_York", 1793512799, -14400}, // 2026-11-01 05:59:59Z
    {"America/New_York", 1793512800, -18000},
    {"Australia/Sydney", 1775318399, 39600},  // southern hemisphere: DST ends in April
    {"Australia/Sydney", 1775318400, 36000},
    {"Australia/Sydney", 1791043199, 36000},
    {"Australia/Sydney", 1791043200, 39600},
    {"Europe/Berlin", 4109878799, 3600},      // 2100: past the table, from the footer rule
    {"Europe/Berlin", 4109878800, 7200},
    {"America/New_York", 4129250399, -14400},
    {"America/New_York", 4129250400, -18000},
    {"Europe/Berlin", -2208988800, 3600},     // 1900
    {"Asia/Kolkata", 1780272000, 19800},      // +05:30
    {"Asia/Kolkata", -891561600, 23400},      // 1941: +06:30
    {"UTC", 1780272000, 0},
    {"Etc/GMT+5", 1780272000, -18000},        // POSIX-style sign: GMT+5 is UTC-5
};

TEST(Zone, KnownTransitions) {
  for (const Known& k : kKnown) {
    Zone z = zone(k.zone);
    EXPECT_EQ(z.span_at(k.t).offset_s, k.offset) << k.zone << " at " << k.t;
    EXPECT_EQ(z.offset_at(k.t), k.offset) << k.zone << " at " << k.t;
  }
}

TEST(Zone, SpanBoundsAreTheTransitions) {
  Zone z = zone("Europe/Berlin");
  OffsetSpan s = z.span_at(1780272000);  // June 2026
  EXPECT_EQ(s.offset_s, 7200);
  EXPECT_EQ(s.from_s, 1774746000);
  EXPECT_EQ(s.until_s, 1792890000);
  // The memo answers inside the span and recomputes outside it.
  EXPECT_EQ(z.offset_at(1774746000), 7200);
  EXPECT_EQ(z.offset_at(1792890000), 3600);
  EXPECT_EQ(z.offset_at(1792889999), 7200);
}

// glibc reads the same files: every day from 1970 to 2060 must agree.
TEST(Zone, AgreesWithGlibcForDecades) {
  const char* zones[] = {"Europe/Berlin", "America/New_York", "Australia/Sydney", "Asia/Kolkata",
                         "America/Sao_Paulo", "Pacific/Chatham", "Africa/Casablanca", "Asia/Tehran",
                         "Europe/Dublin", "America/St_Johns", "Pacific/Apia", "UTC"};
  const char* saved = std::getenv("TZ");
  const std::string saved_tz = saved ? saved : "";
  for (const char* name : zones) {
    Zone z = zone(name);
    setenv("TZ", (std::string(":") + name).c_str(), 1);
    tzset();
    int mismatches = 0;
    for (int64_t t = 0; t < 2840140800; t += 86400 - 3571) {  // odd step: every time of day
      const time_t tt = static_cast<time_t>(t);
      struct tm tm{};
      localtime_r(&tt, &tm);
      if (z.offset_at(t) != tm.tm_gmtoff && ++mismatches < 5)
        ADD_FAILURE() << name << " at " << t << ": " << z.offset_at(t) << " vs glibc " << tm.tm_gmtoff;
    }
    EXPECT_EQ(mismatches, 0) << name;
  }
  if (saved) setenv("TZ", saved_tz.c_str(), 1);
  else unsetenv("TZ");
  tzset();
}

// A minimal version 1 file: one transition from +1h to +2h at t=1000.
std::string v1_file() {
  std::string d = "TZif";
  d.push_back('\0');
  d.append(15, '\0');
  auto be32 = [&d](uint32_t v) {
    for (int i = 3; i >= 0; --i) d.push_back(static_cast<char>((v >> (i * 8)) & 0xff));
  };
  be32(0);     // isutcnt
  be32(0);     // isstdcnt
  be32(0);     // leapcnt
  be32(1);     // timecnt
  be32(2);     // typecnt
  be32(4);     // charcnt
  be32(1000);  // transition time
  d.push_back('\1');  // -> type 1
  be32(3600);
  d.append("\0\0", 2);
  be32(7200);
  d.append("\1\0", 2);
  d.append("ABC\0", 4);
  return d;
}

TEST(Tzif, VersionOneFile) {
  auto z = Zone::parse_tzif(v1_file());
  ASSERT_TRUE(z.ok()) << z.error().message;
  EXPECT_EQ(z->span_at(999).offset_s, 3600);
  EXPECT_EQ(z->span_at(1000).offset_s, 7200);
  EXPECT_EQ(z->transitions(), 1u);
}

TEST(Tzif, RejectsDamagedData) {
  const std::string good = v1_file();
  EXPECT_FALSE(Zone::parse_tzif("").ok());
  EXPECT_FALSE(Zone::parse_tzif("TZif").ok());
  EXPECT_FALSE(Zone::parse_tzif("Xzif" + good.substr(4)).ok());
  for (size_t cut = 0; cut < good.size(); ++cut)
    EXPECT_FALSE(Zone::parse_tzif(good.substr(0, cut)).ok()) << "truncated at " << cut;
  std::string bad_index = good;
  bad_index[44 + 4] = '\7';  // transition type index 7 of 2
  EXPECT_FALSE(Zone::parse_tzif(bad_index).ok());
  std::string huge = good;
  huge[32] = '\x7f';  // timecnt's high byte: far beyond the data
  EXPECT_FALSE(Zone::parse_tzif(huge).ok());
  // A real v2+ file without its footer line.
  std::string berlin = slurp(std::string(kZoneinfoDir) + "/Europe/Berlin");
  ASSERT_GT(berlin.size(), 10u);
  EXPECT_TRUE(Zone::parse_tzif(berlin).ok());
  EXPECT_FALSE(Zone::parse_tzif(berlin.substr(0, berlin.size() - 1)).ok());
  EXPECT_FALSE(Zone::parse_tzif(berlin.substr(0, berlin.rfind('\n', berlin.size() - 2)) + "\nC-1\n").ok());
}

}  // namespace
}  // namespace pushgw::tz
