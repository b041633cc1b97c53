// Ingest sources beside the socket (Redis Streams): one seam between a
// source and the gateway, so every source feeds the same parse → validate →
// expand → queue path as a socket `send` line and nothing downstream knows
// where a request came from.
//
// Threading: both sides live on the gateway's loop thread; every call below
// is made on it. Answers may come synchronously from inside submit() (a
// request-level error, a request with nobody accepted) or later.
#pragma once
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "pushgw/result.h"

namespace pushgw::ingest {

// How a submitted request ended, so the source knows whether to acknowledge
// it upstream. The answer line is what a socket client would have read.
enum class Answer : uint8_t {
  Rejected,     // request-level error (parse_error, bad_request, unknown_op): done, never retry
  Accepted,     // wait:false answer: with a spool, sent once the request is journaled
  Final,        // wait:true answer: every accepted recipient reached a final outcome
  Interrupted,  // wait:true answer, but some recipients ended "shutdown" and no spool keeps them
  Retry,        // not taken (the daemon is draining, or the spool failed): deliver it again later
};

// Implemented by an ingest source.
class Source {
 public:
  virtual ~Source() = default;
  // The answer to submit(tag, ...); exactly one per submitted request.
  virtual void on_answer(uint64_t tag, Answer kind, std::string line) = 0;
  // With a spool and a waited request: its journal record is durable
  // (durable=false: the spool failed; the answer still follows).
  virtual void on_journaled(uint64_t tag, bool durable) = 0;
  // The gateway's backlog drained: may_submit() is true again.
  virtual void on_room() = 0;
  // Appends `"name":{...}` (no leading comma) to the stats response.
  virtual void append_stats(std::string& out) const = 0;
  // Whether waited answers are wanted (per-request results); without a
  // spool, requests are always waited for (that is when they are done).
  virtual bool wants_results() const = 0;
};

// One feedback change-feed page: events as the socket's `feedback` op
// writes them, and the cursor to continue from.
struct FeedbackPage {
  std::vector<std::string> events;  // JSON objects with "seq"
  uint64_t next = 0;
};

// Implemented by the gateway.
class RequestSink {
 public:
  virtual ~RequestSink() = default;
  // Back-pressure: false while queued work does not fit the rings (or the
  // daemon drains); a source reads nothing more until on_room().
  virtual bool may_submit() const = 0;
  // One socket-protocol request line (only op "send" is taken; anything
  // else is answered Rejected with unknown_op). tag < 2^63, unique among
  // the source's requests in flight.
  virtual void submit(uint64_t tag, std::string_view line) = 0;
  // The durable feedback change-feed (events with seq >= since); cb runs on
  // the loop thread. Error "unavailable" without a store.
  virtual void read_feedback(uint64_t since, uint32_t limit, std::function<void(Result<FeedbackPage>)> cb) = 0;
};

}  // namespace pushgw::ingest
