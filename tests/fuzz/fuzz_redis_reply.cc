// libFuzzer target: the stream-reply readers (redis/stream_reply.h) on any
// RESP2 bytes, decoded by hiredis's own reader exactly as the connection
// does. Every reply the bytes hold is given to all four readers.
// Invariants beyond "no crash" (ASan checks that no view outlives or
// overruns the reply):
//   - a deleted entry carries no request; an entry with a request has the
//     value of a "request" field as its view;
//   - the readers append only: a failed parse may leave entries, but never
//     more than the reply has elements.
// The reader is set up as the daemon's connections set it up
// (redis/reply_bounds.h: ReplyBounds installed, the buffered bytes checked
// after each read of at most 16 KiB), with the default config's limits, so
// a huge declared array or bulk is refused as the daemon refuses it
// (hiredis 0.14 would calloc the declared count: libFuzzer's rss and malloc
// limits catch a regression). An input starting with '!' gets tiny limits
// instead, so that refusals in the middle of a reply (hiredis then frees
// the part built) are reached too:
//   - a refused reply is the reader's error, and nothing after it is read.
#include <hiredis/hiredis.h>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "redis/reply_bounds.h"
#include "redis/stream_reply.h"
#include "settings/settings.h"

namespace {

using namespace pushgw::redis;

void check(bool cond) {
  if (!cond) __builtin_trap();
}

constexpr size_t kReadSize = 16 * 1024;  // hiredis 0.14's read per event

// Reads every byte, so ASan reports a view that dangles or overruns.
void touch(std::string_view s) {
  volatile unsigned sink = 0;
  for (char c : s) sink = sink + static_cast<unsigned char>(c);
}

size_t count_elements(const redisReply* r) {
  if (r == nullptr || r->type != REDIS_REPLY_ARRAY) return 1;
  size_t n = 1;
  for (size_t i = 0; i < r->elements; ++i) n += count_elements(r->element[i]);
  return n;
}

void check_entries(const std::vector<StreamEntry>& v, const redisReply* r) {
  check(v.size() <= count_elements(r));
  for (const StreamEntry& e : v) {
    if (e.deleted) check(!e.has_request && e.request.empty());
    if (!e.has_request) check(e.request.empty());
    touch(e.id);
    touch(e.request);
  }
}

void read_all(const redisReply* r) {
  std::vector<StreamEntry> entries;
  parse_read_reply(r, entries);
  check_entries(entries, r);

  entries.clear();
  std::string cursor;
  size_t deleted = 0;
  if (parse_autoclaim_reply(r, cursor, entries, deleted)) check(deleted < count_elements(r));
  check_entries(entries, r);

  // XPENDING drives dead-lettering: a delivery count read from a hostile
  // reply must come out as a number, never as a view past the reply.
  std::vector<PendingInfo> pending;
  if (parse_pending_reply(r, pending)) {
    check(pending.size() <= count_elements(r));
    for (const PendingInfo& p : pending) {
      touch(p.id);
      touch(p.consumer);
    }
  }

  std::vector<ConsumerInfo> consumers;
  if (parse_consumers_reply(r, consumers)) {
    check(consumers.size() <= count_elements(r));
    for (const ConsumerInfo& c : consumers) touch(c.name);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view bytes(reinterpret_cast<const char*>(data), size);
  ReplyLimits limits = reply_limits(RedisIngestConfig{}, pushgw::settings::ServerConfig{}.max_line_bytes);
  if (!bytes.empty() && bytes.front() == '!') {
    bytes.remove_prefix(1);
    limits = ReplyLimits{256, 16};
  }
  ReplyBounds bounds(limits);
  redisReader* rd = redisReaderCreate();
  bounds.install(rd);
  int replies = 0;
  bool failed = false;
  for (size_t at = 0; at < bytes.size() && !failed && replies < 64; at += kReadSize) {
    const size_t n = std::min(kReadSize, bytes.size() - at);
    failed = redisReaderFeed(rd, bytes.data() + at, n) != REDIS_OK;
    while (!failed && replies < 64) {
      void* out = nullptr;
      if (redisReaderGetReply(rd, &out) != REDIS_OK) {
        failed = true;
        break;
      }
      if (out == nullptr) break;
      ++replies;
      read_all(static_cast<redisReply*>(out));
      freeReplyObject(out);
    }
    if (!failed && !bounds.holds_within(rd)) failed = true;
  }
  // A refusal always fails the reader: no reply past the bound gets out.
  if (bounds.refused()) check(failed);
  redisReaderFree(rd);
  return 0;
}
