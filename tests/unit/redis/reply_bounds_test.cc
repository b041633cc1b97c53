// ReplyBounds on a real hiredis reader, fed the way the daemon's connection
// feeds it (hiredis reads at most 16 KiB per event, takes every complete
// reply, then the connection checks what the reader holds). Between the
// bounds and hiredis's own builders sits a spy that records what hiredis
// was asked to allocate, so a test sees that a huge declared size never
// reached it.
#include "redis/reply_bounds.h"

#include <gtest/gtest.h>
#include <hiredis/hiredis.h>

#include <algorithm>
#include <string>
#include <vector>

#include "redis/stream_reply.h"

namespace pushgw::redis {
namespace {

constexpr size_t kReadSize = 16 * 1024;  // hiredis 0.14 reads at most this much per event

// What reached hiredis's builders (the test's own state, one reader at a time).
struct Spy {
  const redisReplyObjectFunctions* hiredis = nullptr;
  redisReplyObjectFunctions fns{};
  uint64_t largest_array = 0;
  uint64_t declared = 0;  // all arrays together, over the whole test
  uint64_t string_bytes = 0;
};
Spy spy;

void* spy_array(const redisReadTask* t, int n) {
  spy.largest_array = std::max<uint64_t>(spy.largest_array, static_cast<uint64_t>(n));
  spy.declared += static_cast<uint64_t>(n);
  return spy.hiredis->createArray(t, n);
}
void* spy_string(const redisReadTask* t, char* s, size_t len) {
  spy.string_bytes += len;
  return spy.hiredis->createString(t, s, len);
}

struct Outcome {
  bool error = false;          // the reader failed or the bound refused what it holds
  size_t fed = 0;              // bytes fed until then
  size_t most_buffered = 0;    // the reader's buffer at its largest, after a read
  std::vector<redisReply*> replies;
};

class BoundedReader {
 public:
  explicit BoundedReader(ReplyLimits limits) : bounds_(limits), rd_(redisReaderCreate()) {
    spy = Spy{};
    spy.hiredis = rd_->fn;
    spy.fns = *rd_->fn;
    spy.fns.createArray = spy_array;
    spy.fns.createString = spy_string;
    rd_->fn = &spy.fns;
    bounds_.install(rd_);  // as Connection::connect_to does
  }
  ~BoundedReader() {
    for (redisReply* r : out_.replies) freeReplyObject(r);
    redisReaderFree(rd_);
  }

  // One hiredis read at a time, then what the connection does after it.
  const Outcome& feed(const std::string& bytes) {
    for (size_t at = 0; at < bytes.size() && !out_.error; at += kReadSize) {
      const size_t n = std::min(kReadSize, bytes.size() - at);
      read(bytes.data() + at, n);
    }
    return out_;
  }
  // n bytes of c, streamed (never held whole by the test); stops at the first error.
  const Outcome& stream(char c, size_t n) {
    const std::string chunk(kReadSize, c);
    for (size_t left = n; left > 0 && !out_.error;) {
      const size_t k = std::min(left, chunk.size());
      read(chunk.data(), k);
      left -= k;
    }
    return out_;
  }

  const ReplyBounds& bounds() const { return bounds_; }
  const Outcome& outcome() const { return out_; }

 private:
  void read(const char* p, size_t n) {
    out_.fed += n;
    if (redisReaderFeed(rd_, p, n) != REDIS_OK) {
      out_.error = true;
      return;
    }
    for (;;) {
      void* r = nullptr;
      if (redisReaderGetReply(rd_, &r) != REDIS_OK) {
        out_.error = true;
        return;
      }
      if (r == nullptr) break;
      out_.replies.push_back(static_cast<redisReply*>(r));
    }
    out_.most_buffered = std::max(out_.most_buffered, rd_->len - rd_->pos);
    if (!bounds_.holds_within(rd_)) out_.error = true;
  }

  ReplyBounds bounds_;
  redisReader* rd_;
  Outcome out_;
};

std::string bulk(const std::string& s) { return "$" + std::to_string(s.size()) + "\r\n" + s + "\r\n"; }

std::string repeat(const std::string& s, size_t n) {
  std::string out;
  out.reserve(s.size() * n);
  for (size_t i = 0; i < n; ++i) out += s;
  return out;
}

ReplyLimits defaults() {
  RedisIngestConfig cfg;
  return reply_limits(cfg, 16u << 20);  // server.max_line_bytes' default
}

TEST(ReplyLimits, FollowConfig) {
  RedisIngestConfig cfg;  // batch 100, max_read_bytes 64 MiB
  ReplyLimits l = reply_limits(cfg, 16u << 20);
  EXPECT_EQ(l.max_bytes, (64u << 20) + (16u << 20) + 100u * 1024);
  EXPECT_EQ(l.max_elements, 65536u);  // the floor: XINFO CONSUMERS whatever batch is
  cfg.batch = 10000;
  cfg.max_read_bytes = 1 << 20;
  l = reply_limits(cfg, 1024);
  EXPECT_EQ(l.max_bytes, (1u << 20) + 1024u + 10000u * 1024);
  EXPECT_EQ(l.max_elements, 640000u);  // 64 per entry
}

TEST(ReplyBounds, LegitimateStreamReplyPasses) {
  BoundedReader rd(defaults());
  const std::string req = R"({"op":"send","notifications":[]})";
  std::string entries;
  for (int i = 0; i < 100; ++i)
    entries += "*2\r\n" + bulk("1-" + std::to_string(i)) + "*2\r\n" + bulk("request") + bulk(req);
  const Outcome& o = rd.feed("*1\r\n*2\r\n" + bulk("reqs") + "*100\r\n" + entries + "+OK\r\n");
  ASSERT_FALSE(o.error) << rd.bounds().why();
  ASSERT_EQ(o.replies.size(), 2u);
  std::vector<StreamEntry> out;
  ASSERT_TRUE(parse_read_reply(o.replies[0], out));
  ASSERT_EQ(out.size(), 100u);
  EXPECT_EQ(out[99].request, req);
  EXPECT_FALSE(rd.bounds().refused());
}

TEST(ReplyBounds, ArraysUpToTheBoundPassAndTheBudgetIsPerReply) {
  BoundedReader rd(ReplyLimits{1 << 20, 1000});
  // Each reply declares exactly 1000 elements, over two levels.
  const std::string one = "*2\r\n*499\r\n" + repeat(":1\r\n", 499) + "*499\r\n" + repeat("$-1\r\n", 499);
  const Outcome& o = rd.feed(one + one + one);
  ASSERT_FALSE(o.error) << rd.bounds().why();
  ASSERT_EQ(o.replies.size(), 3u);
  EXPECT_EQ(o.replies[2]->element[1]->elements, 499u);
}

TEST(ReplyBounds, HugeArrayCountIsRefusedBeforeHiredisAllocatesIt) {
  for (const char* header : {"*2000000000\r\n", "*1000000000\r\n", "*65537\r\n"}) {
    BoundedReader rd(defaults());
    const Outcome& o = rd.feed(header);
    EXPECT_TRUE(o.error) << header;
    EXPECT_TRUE(rd.bounds().refused()) << header;
    EXPECT_NE(rd.bounds().why().find("over the bound of 65536 elements"), std::string::npos) << rd.bounds().why();
    EXPECT_EQ(spy.largest_array, 0u) << header;  // hiredis never saw the count
  }
}

// Each header alone is under the bound; together they would make hiredis
// calloc 8 bytes per declared element for every 11 bytes received.
TEST(ReplyBounds, NestedAmplificationIsRefused) {
  BoundedReader rd(defaults());
  const Outcome& o = rd.feed(repeat("*60000\r\n", 7));
  EXPECT_TRUE(o.error);
  EXPECT_TRUE(rd.bounds().refused());
  EXPECT_EQ(spy.declared, 60000u);  // the root only: the first child was refused
  EXPECT_LE(spy.declared, defaults().max_elements);
}

TEST(ReplyBounds, SiblingArraysShareTheReplyBudget) {
  BoundedReader rd(ReplyLimits{1 << 20, 1000});
  // Root of 10, each child an array of 200: the fifth child's 200 passes 1000.
  std::string child = "*200\r\n" + repeat(":7\r\n", 200);
  const Outcome& o = rd.feed("*10\r\n" + repeat(child, 10));
  EXPECT_TRUE(o.error);
  EXPECT_TRUE(rd.bounds().refused());
  EXPECT_LE(spy.declared, 1000u);
}

TEST(ReplyBounds, DeepNestingFails) {
  BoundedReader rd(defaults());
  const Outcome& o = rd.feed(repeat("*1\r\n", 12) + ":1\r\n");
  EXPECT_TRUE(o.error);  // hiredis's own limit (depth 7)
  EXPECT_TRUE(o.replies.empty());
}

// hiredis 0.14 buffers a bulk until all of it is in and asks the builder
// nothing meanwhile: the bound on what the reader holds stops it.
TEST(ReplyBounds, HugeBulkStreamedInChunksIsRefusedWithTheBufferBounded) {
  const ReplyLimits limits{1 << 20, 65536};
  BoundedReader rd(limits);
  rd.feed("*1\r\n$4000000000\r\n");
  const Outcome& o = rd.stream('x', 64u << 20);  // the test would go on to 4 GB; 64 MiB is enough to show
  EXPECT_TRUE(o.error);
  EXPECT_TRUE(rd.bounds().refused());
  EXPECT_NE(rd.bounds().why().find("bytes buffered"), std::string::npos) << rd.bounds().why();
  EXPECT_LE(o.fed, limits.max_bytes + kReadSize + 64);
  EXPECT_LE(o.most_buffered, limits.max_bytes + kReadSize);
  EXPECT_EQ(spy.string_bytes, 0u);
}

TEST(ReplyBounds, EndlessStatusLineIsRefused) {
  const ReplyLimits limits{1 << 20, 65536};
  BoundedReader rd(limits);
  rd.feed("+");
  const Outcome& o = rd.stream('y', 64u << 20);
  EXPECT_TRUE(o.error);
  EXPECT_TRUE(rd.bounds().refused());
  EXPECT_LE(o.most_buffered, limits.max_bytes + kReadSize);
}

// Many strings, each small: hiredis parses and trims its buffer as they
// come, so the reply itself (the copies it builds) is what must be bounded.
TEST(ReplyBounds, StringBytesOfOneReplyAreBounded) {
  const ReplyLimits limits{1 << 20, 65536};
  BoundedReader rd(limits);
  const std::string s = bulk(std::string(60000, 'z'));
  const Outcome& o = rd.feed("*40\r\n" + repeat(s, 40));
  EXPECT_TRUE(o.error);
  EXPECT_TRUE(rd.bounds().refused());
  EXPECT_NE(rd.bounds().why().find("bytes per reply"), std::string::npos) << rd.bounds().why();
  EXPECT_LE(spy.string_bytes, limits.max_bytes);
  EXPECT_LT(o.most_buffered, limits.max_bytes);  // parsed as it came: this bound is the builder's
}

TEST(ReplyBounds, InstallOnANewReaderForgetsTheRefusal) {
  ReplyBounds bounds(ReplyLimits{1 << 20, 10});
  redisReader* a = redisReaderCreate();
  bounds.install(a);
  redisReaderFeed(a, "*11\r\n", 5);
  void* r = nullptr;
  EXPECT_EQ(redisReaderGetReply(a, &r), REDIS_ERR);
  EXPECT_TRUE(bounds.refused());
  redisReaderFree(a);

  redisReader* b = redisReaderCreate();
  bounds.install(b);
  EXPECT_FALSE(bounds.refused());
  const std::string ok = "*2\r\n:1\r\n:2\r\n";
  redisReaderFeed(b, ok.data(), ok.size());
  ASSERT_EQ(redisReaderGetReply(b, &r), REDIS_OK);
  ASSERT_NE(r, nullptr);
  EXPECT_EQ(static_cast<redisReply*>(r)->elements, 2u);
  freeReplyObject(r);
  redisReaderFree(b);
}

}  // namespace
}  // namespace pushgw::redis
