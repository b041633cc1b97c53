// parse_redis_url / redact_redis_url ([ingest.redis] url).
#include <gtest/gtest.h>

#include "redis/config.h"

namespace pushgw::redis {
namespace {

TEST(RedisUrl, Forms) {
  auto plain = parse_redis_url("redis://127.0.0.1");
  ASSERT_TRUE(plain.ok());
  EXPECT_EQ(plain->host, "127.0.0.1");
  EXPECT_EQ(plain->port, 6379);
  EXPECT_EQ(plain->db, 0);
  EXPECT_EQ(plain->password, "");

  auto v6 = parse_redis_url("redis://[::1]:7000/3");
  ASSERT_TRUE(v6.ok());
  EXPECT_EQ(v6->host, "::1");
  EXPECT_EQ(v6->port, 7000);
  EXPECT_EQ(v6->db, 3);

  auto pw = parse_redis_url("redis://:p%40ss%3Aw@h:1/");
  ASSERT_TRUE(pw.ok());
  EXPECT_EQ(pw->username, "");
  EXPECT_EQ(pw->password, "p@ss:w");
  EXPECT_EQ(pw->port, 1);

  auto unix_db = parse_redis_url("unix:///run/redis/redis.sock?db=4");
  ASSERT_TRUE(unix_db.ok());
  EXPECT_EQ(unix_db->unix_path, "/run/redis/redis.sock");
  EXPECT_EQ(unix_db->db, 4);
  auto unix_short = parse_redis_url("unix:/tmp/r.sock");
  ASSERT_TRUE(unix_short.ok());
  EXPECT_EQ(unix_short->unix_path, "/tmp/r.sock");
}

TEST(RedisUrl, Rejected) {
  for (const char* bad : {"", "redis://", "redis://h:0", "redis://h:65536", "redis://h:x", "redis://h/db",
                          "redis://user@h", "redis://:@h", "redis://:p%zz@h", "redis://[::1", "unix:relative.sock",
                          "unix:/s?x=1", "rediss://h", "http://h"}) {
    auto r = parse_redis_url(bad);
    EXPECT_FALSE(r.ok()) << bad;
    if (!r.ok()) {
      EXPECT_EQ(r.error().code, "bad_url");
    }
  }
}

TEST(RedisUrl, RedactHidesOnlyThePassword) {
  EXPECT_EQ(redact_redis_url("redis://app:secret@h:6379/1"), "redis://app:***@h:6379/1");
  EXPECT_EQ(redact_redis_url("redis://:secret@h"), "redis://:***@h");
  EXPECT_EQ(redact_redis_url("redis://h:6379"), "redis://h:6379");
  EXPECT_EQ(redact_redis_url("unix:/tmp/r.sock"), "unix:/tmp/r.sock");
}

}  // namespace
}  // namespace pushgw::redis
