// [ingest.redis]: Redis Streams ingest keys (the url may hold a password, so
// no message may echo one).
#include <gtest/gtest.h>

#include "settings/settings.h"

namespace pushgw::settings {
namespace {

constexpr char kName[] = "pushgw.toml";

std::string error_of(std::string_view text) {
  auto r = parse(text, kName, /*read_credentials=*/false);
  return r.ok() ? std::string() : r.error().message;
}

std::string at(int line, std::string_view rest) {
  return std::string(kName) + ":" + std::to_string(line) + ": " + std::string(rest);
}

TEST(IngestRedisConfig, AbsentSectionMeansNoRedis) {
  auto r = parse("[server]\nworkers = 1\n", kName, false);
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_FALSE((*r)->ingest.redis.enabled);
}

TEST(IngestRedisConfig, DefaultsAndEveryKey) {
  auto min = parse("[ingest.redis]\nstream = \"reqs\"\n", kName, false);
  ASSERT_TRUE(min.ok()) << min.error().message;
  const redis::RedisIngestConfig& d = (*min)->ingest.redis;
  EXPECT_TRUE(d.enabled);
  EXPECT_EQ(d.endpoint.host, "127.0.0.1");
  EXPECT_EQ(d.endpoint.port, 6379);
  EXPECT_EQ(d.group, "pushgw");
  EXPECT_EQ(d.consumer, "");
  EXPECT_EQ(d.batch, 100);
  EXPECT_EQ(d.claim_idle_ms, 30000);
  EXPECT_EQ(d.results_stream, "");
  EXPECT_EQ(d.max_deliveries, 5);
  EXPECT_EQ(d.max_read_bytes, int64_t{64} << 20);

  auto r = parse(
      "[ingest.redis]\nurl = \"redis://app:pw@redis.internal:6380/2\"\nstream = \"s\"\ngroup = \"g\"\n"
      "consumer = \"node-1\"\nbatch = 50\nblock_ms = 500\nclaim_idle_ms = 1000\nresults_stream = \"res\"\n"
      "feedback_stream = \"fb\"\nresults_maxlen = 0\nmax_deliveries = 0\nmax_read_bytes = 1048576\n",
      kName, false);
  ASSERT_TRUE(r.ok()) << r.error().message;
  const redis::RedisIngestConfig& c = (*r)->ingest.redis;
  EXPECT_EQ(c.endpoint.host, "redis.internal");
  EXPECT_EQ(c.endpoint.port, 6380);
  EXPECT_EQ(c.endpoint.db, 2);
  EXPECT_EQ(c.endpoint.username, "app");
  EXPECT_EQ(c.endpoint.password, "pw");
  EXPECT_EQ(c.stream, "s");
  EXPECT_EQ(c.group, "g");
  EXPECT_EQ(c.consumer, "node-1");
  EXPECT_EQ(c.batch, 50);
  EXPECT_EQ(c.block_ms, 500);
  EXPECT_EQ(c.claim_idle_ms, 1000);
  EXPECT_EQ(c.results_stream, "res");
  EXPECT_EQ(c.feedback_stream, "fb");
  EXPECT_EQ(c.results_maxlen, 0);
  EXPECT_EQ(c.max_deliveries, 0);
  EXPECT_EQ(c.max_read_bytes, 1048576);
}

TEST(IngestRedisConfig, ProblemsNameFileLineAndKey) {
  EXPECT_EQ(error_of("[ingest.redis]\nurl = \"redis://h\"\n"), at(1, "ingest.redis.stream: missing required key"));
  EXPECT_EQ(error_of("[ingest.redis]\nstream = \"s\"\nbatch = 0\n"),
            at(3, "ingest.redis.batch: must be between 1 and 10000, got 0"));
  EXPECT_EQ(error_of("[ingest.redis]\nstream = \"s\"\nclaim_idle_ms = 5\n"),
            at(3, "ingest.redis.claim_idle_ms: must be between 100 and 86400000, got 5"));
  EXPECT_EQ(error_of("[ingest.redis]\nstream = \"s\"\nblock_ms = 0\n"),
            at(3, "ingest.redis.block_ms: must be between 1 and 60000, got 0"));
  EXPECT_EQ(error_of("[ingest.redis]\nstream = \"s\"\nresults_stream = \"s\"\n"),
            at(3, "ingest.redis.results_stream: must differ from stream"));
  EXPECT_EQ(error_of("[ingest.redis]\nstream = \"has space\"\n").substr(0, 36),
            at(2, "ingest.redis.stream: must be a").substr(0, 36));
  EXPECT_EQ(error_of("[ingest.redis]\nstream = \"s\"\nstreem = \"x\"\n"), at(3, "ingest.redis.streem: unknown key"));
  EXPECT_EQ(error_of("[ingest.kafka]\nbrokers = \"x\"\n"), at(1, "ingest.kafka: unknown section"));
  EXPECT_EQ(error_of("[ingest]\nredis = 1\n"), at(2, "ingest.redis: expected a table ([ingest.redis]), got integer"));
}

TEST(IngestRedisConfig, BadUrlNeverEchoesThePassword) {
  const std::string e = error_of("[ingest.redis]\nstream = \"s\"\nurl = \"redis://:hunter2@host:99999\"\n");
  EXPECT_NE(e.find(at(3, "ingest.redis.url: ")), std::string::npos) << e;
  EXPECT_EQ(e.find("hunter2"), std::string::npos) << e;
  EXPECT_NE(error_of("[ingest.redis]\nstream = \"s\"\nurl = \"http://h\"\n"), "");
}

}  // namespace
}  // namespace pushgw::settings
