// libFuzzer target: the stream-reply readers (redis/stream_reply.h) on any
// RESP2 bytes, decoded by hiredis's own reader exactly as the connection
// does. Every reply the bytes hold is given to all four readers.
// Invariants beyond "no crash" (ASan checks that no view outlives or
// overruns the reply):
//   - a deleted entry carries no request; an entry with a request has the
//     value of a "request" field as its view;
//   - the readers append only: a failed parse may leave entries, but never
//     more than the reply has elements.
// Inputs declaring an array or bulk longer than kMaxDeclared are skipped:
// hiredis 0.14 allocates the declared size up front, which says nothing
// about our code (the limit there is the server's).
#include <hiredis/hiredis.h>

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "redis/stream_reply.h"

namespace {

using namespace pushgw::redis;

void check(bool cond) {
  if (!cond) __builtin_trap();
}

constexpr long long kMaxDeclared = 1 << 16;

// Any '*' or '$', not only at a line start: a bulk string's declared length
// can end just before one, and hiredis then reads it as the next header.
bool declares_huge(std::string_view s) {
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] != '*' && s[i] != '$') continue;
    long long v = 0;
    for (size_t k = i + 1; k < s.size() && s[k] >= '0' && s[k] <= '9'; ++k) {
      v = v * 10 + (s[k] - '0');
      if (v > kMaxDeclared) return true;
    }
  }
  return false;
}

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
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);
  if (declares_huge(bytes)) return 0;
  redisReader* rd = redisReaderCreate();
  redisReaderFeed(rd, bytes.data(), bytes.size());
  for (int i = 0; i < 64; ++i) {
    void* out = nullptr;
    if (redisReaderGetReply(rd, &out) != REDIS_OK || out == nullptr) break;
    read_all(static_cast<redisReply*>(out));
    freeReplyObject(out);
  }
  redisReaderFree(rd);
  return 0;
}
