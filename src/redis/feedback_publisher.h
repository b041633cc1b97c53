// Copies the store's durable feedback change-feed (invalid / unsubscribed
// verdicts, the socket's `feedback` op) into a Redis stream, so upstream
// consumes verdicts with its own consumer group instead of polling each
// instance's socket.
//
// Why tail the change-feed: it is already durable and ordered (seq), it
// holds the verdicts of socket and Redis requests alike, and reading a page
// is one indexed query on the store thread, once a second when idle. Hooking
// the senders or the store's commit path instead would add work per
// notification and lose events at a crash.
//
// Exactly once per store: the cursor (next seq) lives in Redis, in hash
// <stream>:cursor under the store's identity, and moves in the same
// MULTI/EXEC as the XADDs. The cursor key is WATCHed from reading it to EXEC,
// so two publishers of one store (a shared PostgreSQL store) never add the
// same page twice; the loser retries from the new cursor.
//
// Entries: XADD <stream> MAXLEN ~ <maxlen> * feedback <event JSON> store <identity>.
#pragma once
#include <uv.h>

#include <cstdint>
#include <string>

#include "ingest/source.h"
#include "loop/timer.h"
#include "obs/log.h"
#include "redis/connection.h"

namespace pushgw::redis {

class FeedbackPublisher {
 public:
  static constexpr uint32_t kPage = 1000;
  static constexpr uint64_t kIntervalMs = 1000;

  FeedbackPublisher(uv_loop_t* loop, Connection& conn, ingest::RequestSink& sink, std::string stream,
                    std::string identity, int64_t maxlen, obs::Logger log);
  void start();
  void close() { timer_.close(); }
  bool busy() const { return busy_; }
  uint64_t published() const { return published_; }

 private:
  void tick();
  void publish(ingest::FeedbackPage page, uint64_t generation);
  void done(bool again);

  Connection& conn_;
  ingest::RequestSink& sink_;
  std::string stream_, cursor_key_, identity_, maxlen_;
  obs::Logger log_;
  loop::Timer timer_;
  bool busy_ = false;
  uint64_t published_ = 0;
};

}  // namespace pushgw::redis
