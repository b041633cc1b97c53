#include "tz/zone_cache.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <string>

namespace pushgw::tz {
namespace {

TEST(ZoneCache, NamesThatCanOnlyResolveInsideTheRoot) {
  for (const char* good : {"UTC", "Europe/Berlin", "America/Argentina/Buenos_Aires", "Etc/GMT+5", "Etc/GMT-14"})
    EXPECT_TRUE(ZoneCache::valid_name(good)) << good;
  for (const char* bad : {"", "/etc/passwd", "../etc/passwd", "Europe/../../etc/passwd", "Europe/./Berlin",
                          "Europe//Berlin", "Europe/", "zone.tab", "Europe/Berlin\n", "Europe Berlin", "-x",
                          "Europe/-x", "\xc3\xa9t\xc3\xa9"})
    EXPECT_FALSE(ZoneCache::valid_name(bad)) << bad;
  EXPECT_FALSE(ZoneCache::valid_name(std::string(65, 'A')));
}

TEST(ZoneCache, LoadsOnceAndRejectsUnknownZones) {
  ZoneCache c;
  const Zone* berlin = c.find("Europe/Berlin");
  ASSERT_NE(berlin, nullptr);
  EXPECT_EQ(c.find("Europe/Berlin"), berlin);
  EXPECT_EQ(c.size(), 1u);
  EXPECT_EQ(c.find("Mars/Olympus_Mons"), nullptr);
  EXPECT_EQ(c.find("Europe"), nullptr);  // a directory
  EXPECT_EQ(c.find("../../etc/passwd"), nullptr);
  EXPECT_EQ(c.load("../x").error().code, "tz_bad_name");
  EXPECT_EQ(c.load("Nope/Nope").error().code, "tz_unknown");
  EXPECT_EQ(c.size(), 1u);  // failures are not cached
}

TEST(ZoneCache, NonTzifFilesAndTheUtcFallback) {
  char tmpl[] = "/tmp/pushgw-tz-XXXXXX";
  ASSERT_NE(mkdtemp(tmpl), nullptr);
  const std::string root = tmpl;
  std::ofstream(root + "/Garbage") << "not a zone file";
  ZoneCache c(root);
  EXPECT_EQ(c.find("Garbage"), nullptr);
  // No tzdata under the root: UTC still works.
  const Zone* utc = c.find("UTC");
  ASSERT_NE(utc, nullptr);
  EXPECT_EQ(utc->offset_at(1780272000), 0);
  ZoneCache small(std::string(kZoneinfoDir), 1);
  EXPECT_NE(small.find("UTC"), nullptr);
  EXPECT_EQ(small.load("Europe/Berlin").error().code, "tz_cache_full");
  std::remove((root + "/Garbage").c_str());
  rmdir(root.c_str());
}

}  // namespace
}  // namespace pushgw::tz
