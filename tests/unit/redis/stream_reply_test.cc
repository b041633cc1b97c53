// Stream replies as Redis 7 sends them (RESP2 bytes through hiredis's own
// reader), including the shapes that must not crash the consumer.
#include <gtest/gtest.h>
#include <hiredis/hiredis.h>

#include <memory>
#include <string>

#include "redis/stream_reply.h"

namespace pushgw::redis {
namespace {

struct ReplyFree {
  void operator()(redisReply* r) const { freeReplyObject(r); }
};
using ReplyPtr = std::unique_ptr<redisReply, ReplyFree>;

ReplyPtr parse_resp(const std::string& bytes) {
  redisReader* rd = redisReaderCreate();
  redisReaderFeed(rd, bytes.data(), bytes.size());
  void* out = nullptr;
  const int rc = redisReaderGetReply(rd, &out);
  redisReaderFree(rd);
  EXPECT_EQ(rc, REDIS_OK);
  EXPECT_NE(out, nullptr);
  return ReplyPtr(static_cast<redisReply*>(out));
}

std::string bulk(const std::string& s) { return "$" + std::to_string(s.size()) + "\r\n" + s + "\r\n"; }

std::string entry(const std::string& id, const std::string& field, const std::string& value) {
  return "*2\r\n" + bulk(id) + "*2\r\n" + bulk(field) + bulk(value);
}

TEST(StreamReply, XreadgroupEntries) {
  const std::string req = R"({"op":"send","notifications":[]})";
  auto r = parse_resp("*1\r\n*2\r\n" + bulk("reqs") + "*3\r\n" + entry("1-0", "request", req) +
                      entry("1-1", "other", "x") + "*2\r\n" + bulk("1-2") + "*-1\r\n");
  std::vector<StreamEntry> out;
  ASSERT_TRUE(parse_read_reply(r.get(), out));
  ASSERT_EQ(out.size(), 3u);
  EXPECT_EQ(out[0].id, "1-0");
  EXPECT_TRUE(out[0].has_request);
  EXPECT_EQ(out[0].request, req);
  EXPECT_FALSE(out[1].has_request);  // no "request" field: reported, acknowledged
  EXPECT_FALSE(out[1].deleted);
  EXPECT_TRUE(out[2].deleted);  // pending, but trimmed from the stream
}

TEST(StreamReply, RequestFieldAmongOthers) {
  auto r = parse_resp("*1\r\n*2\r\n" + bulk("reqs") + "*1\r\n*2\r\n" + bulk("5-0") + "*4\r\n" + bulk("trace") +
                      bulk("abc") + bulk("request") + bulk("{}"));
  std::vector<StreamEntry> out;
  ASSERT_TRUE(parse_read_reply(r.get(), out));
  ASSERT_EQ(out.size(), 1u);
  EXPECT_TRUE(out[0].has_request);
  EXPECT_EQ(out[0].request, "{}");
}

TEST(StreamReply, BlockTimeoutAndEmptyPendingList) {
  std::vector<StreamEntry> out;
  EXPECT_TRUE(parse_read_reply(parse_resp("*-1\r\n").get(), out));
  EXPECT_TRUE(parse_read_reply(parse_resp("*1\r\n*2\r\n" + bulk("reqs") + "*0\r\n").get(), out));
  EXPECT_TRUE(out.empty());
}

TEST(StreamReply, UnexpectedShapesAreRefused) {
  std::vector<StreamEntry> out;
  EXPECT_FALSE(parse_read_reply(parse_resp("-NOGROUP No such key\r\n").get(), out));
  EXPECT_FALSE(parse_read_reply(parse_resp(":5\r\n").get(), out));
  EXPECT_FALSE(parse_read_reply(parse_resp("*1\r\n*1\r\n" + bulk("reqs")).get(), out));
  EXPECT_FALSE(parse_read_reply(parse_resp("*1\r\n*2\r\n" + bulk("reqs") + "*1\r\n:1\r\n").get(), out));
  EXPECT_FALSE(parse_read_reply(nullptr, out));
}

TEST(StreamReply, Xautoclaim) {
  auto r = parse_resp("*3\r\n" + bulk("7-3") + "*2\r\n" + entry("7-1", "request", "{}") +
                      entry("7-2", "request", "[]") + "*1\r\n" + bulk("6-9"));
  std::string next;
  std::vector<StreamEntry> out;
  size_t deleted = 0;
  ASSERT_TRUE(parse_autoclaim_reply(r.get(), next, out, deleted));
  EXPECT_EQ(next, "7-3");
  ASSERT_EQ(out.size(), 2u);
  EXPECT_EQ(out[1].id, "7-2");
  EXPECT_EQ(deleted, 1u);
  // Redis 6.2: two elements, nil in place of deleted entries.
  out.clear();
  auto old = parse_resp("*2\r\n" + bulk("0-0") + "*2\r\n*-1\r\n" + entry("8-1", "request", "{}"));
  ASSERT_TRUE(parse_autoclaim_reply(old.get(), next, out, deleted));
  EXPECT_EQ(next, "0-0");
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(deleted, 0u);
  EXPECT_FALSE(parse_autoclaim_reply(parse_resp("-ERR syntax\r\n").get(), next, out, deleted));
}

TEST(StreamReply, XinfoConsumers) {
  // Redis 7.2 adds "inactive"; unknown fields are skipped.
  auto r = parse_resp("*2\r\n*6\r\n" + bulk("name") + bulk("host-1") + bulk("pending") + ":3\r\n" + bulk("idle") +
                      ":120\r\n*8\r\n" + bulk("name") + bulk("host-2") + bulk("pending") + ":0\r\n" + bulk("idle") +
                      ":900000\r\n" + bulk("inactive") + ":-1\r\n");
  std::vector<ConsumerInfo> out;
  ASSERT_TRUE(parse_consumers_reply(r.get(), out));
  ASSERT_EQ(out.size(), 2u);
  EXPECT_EQ(out[0].name, "host-1");
  EXPECT_EQ(out[0].pending, 3);
  EXPECT_EQ(out[1].name, "host-2");
  EXPECT_EQ(out[1].idle_ms, 900000);
  out.clear();
  EXPECT_FALSE(parse_consumers_reply(parse_resp("*1\r\n*2\r\n" + bulk("pending") + ":1\r\n").get(), out));
  EXPECT_TRUE(parse_consumers_reply(parse_resp("*0\r\n").get(), out));
}

TEST(StreamReply, XpendingExtended) {
  auto r = parse_resp("*2\r\n*4\r\n" + bulk("1-0") + bulk("host-1") + ":600000\r\n:5\r\n*4\r\n" + bulk("2-0") +
                      bulk("host-2") + ":10\r\n:1\r\n");
  std::vector<PendingInfo> out;
  ASSERT_TRUE(parse_pending_reply(r.get(), out));
  ASSERT_EQ(out.size(), 2u);
  EXPECT_EQ(out[0].id, "1-0");
  EXPECT_EQ(out[0].consumer, "host-1");
  EXPECT_EQ(out[0].idle_ms, 600000);
  EXPECT_EQ(out[0].deliveries, 5);
  EXPECT_EQ(out[1].deliveries, 1);
  out.clear();
  EXPECT_FALSE(parse_pending_reply(parse_resp("*1\r\n*3\r\n" + bulk("1-0") + bulk("c") + ":1\r\n").get(), out));
  EXPECT_TRUE(parse_pending_reply(parse_resp("*0\r\n").get(), out));
}

}  // namespace
}  // namespace pushgw::redis
