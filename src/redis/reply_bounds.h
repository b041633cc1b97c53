// What one Redis server can make a hiredis reader allocate, bounded.
//
// hiredis 0.14 (Debian 12) trusts the sizes a server declares: an array
// header "*N" callocs N pointers before one element arrived (hiredis 1.0
// added a cap), nested headers multiply that, and a bulk "$N" is buffered
// until all N bytes are in. So 11 bytes "*1000000000\r\n" cost 8 GB, and a
// bulk declared huge then streamed grows the read buffer without end.
//
// ReplyBounds sits in a reader's reply builder (its redisReplyObjectFunctions,
// delegating to hiredis's own) and refuses, before allocating:
//  - an array whose elements would take one reply's declared elements, all
//    levels together, over max_elements (nesting amplification included);
//  - a string that would take one reply's string bytes over max_bytes.
// A refusal makes hiredis fail the reader (the connection then drops, like
// on any protocol error). What the reader buffers unparsed is checked after
// each read (holds_within), since hiredis asks for no object while a bulk
// is still arriving. Nesting deeper than 7 levels hiredis refuses itself.
//
// Memory one reader can hold: its buffer (at most max_bytes unparsed, plus
// one read of 16 KiB and a growth step of at most 1 MiB; it keeps its peak
// size until emptied) and the reply being built (at most max_bytes of
// strings and max_elements objects of about 100 bytes each, pointer
// included): 2 x max_bytes + 1 MiB + 100 bytes x max_elements. jemalloc
// moves the buffer as it grows and keeps the freed pages for a while: up
// to about max_bytes more resident. README "Limits" states it per
// connection, with measurements.
//
// Threading: the reader's thread. Not copyable: the reader points at it.
#pragma once
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include "redis/config.h"

struct redisReader;
struct redisReadTask;
struct redisReplyObjectFunctions;

namespace pushgw::redis {

struct ReplyLimits {
  uint64_t max_bytes = 0;     // string bytes of one reply; also what the reader may hold unparsed
  uint64_t max_elements = 0;  // array elements one reply declares, all levels together
};

// From what legitimate replies need: a read of COUNT entries holds about
// max_read_bytes, plus one entry of up to max_line_bytes (a request the
// gateway takes at all) past it, plus ids and field names; an entry is
// about 5 elements (64 allowed, for extra fields) and XINFO CONSUMERS about
// 9 per consumer, so batch x 64 elements, and never fewer than 65,536.
ReplyLimits reply_limits(const RedisIngestConfig& cfg, uint64_t max_line_bytes);

class ReplyBounds {
 public:
  explicit ReplyBounds(ReplyLimits limits);
  ~ReplyBounds();
  ReplyBounds(const ReplyBounds&) = delete;
  ReplyBounds& operator=(const ReplyBounds&) = delete;

  // Hooks r's reply builder, before r sees a byte; forgets an earlier
  // refusal. r must not outlive *this (it calls back into it until freed).
  void install(redisReader* r);
  // After bytes were fed to r and its replies taken: false when r holds more
  // unparsed bytes than max_bytes (why() then says so). Drop r then.
  bool holds_within(const redisReader* r);

  // A reply was refused (by the builder or holds_within) since install().
  bool refused() const { return !why_.empty(); }
  // Why, for the log: sizes and the config keys they follow; never reply bytes.
  const std::string& why() const { return why_; }
  const ReplyLimits& limits() const { return limits_; }

 private:
  template <typename Count>
  static void* create_array(const redisReadTask* task, Count elements);
  static void* create_string(const redisReadTask* task, char* str, size_t len);
  static ReplyBounds& of(const redisReadTask* task);
  enum class Budget : uint8_t { Elements, Bytes };
  bool admit(const redisReadTask* task, Budget budget, uint64_t n);
  void refuse(std::string why);

  ReplyLimits limits_;
  std::unique_ptr<redisReplyObjectFunctions> fns_;  // what the reader calls: ours, then hiredis's
  const redisReplyObjectFunctions* inner_ = nullptr;  // hiredis's own
  uint64_t reply_elements_ = 0;  // declared so far by the reply being read
  uint64_t reply_bytes_ = 0;     // string bytes so far of the reply being read
  std::string why_;
};

}  // namespace pushgw::redis
