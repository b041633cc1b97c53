// Redis Streams ingest: consumes one stream as a member of a consumer group
// and feeds every entry's request line into the gateway (ingest::RequestSink),
// the same path as a socket `send`.
//
// Delivery (at least once):
//  - Reads with XREADGROUP ... ">" (COUNT batch, BLOCK block_ms) on a
//    connection of its own, only while the gateway has room (on_room()).
//  - An entry is XACKed once the gateway says it is done: journaled in the
//    spool (Answer::Accepted / on_journaled), or every recipient final
//    (Answer::Final), or it was not a valid send (Answer::Rejected, then
//    reported on the results stream). Drain-interrupted (without a spool)
//    and refused entries stay pending, to be delivered again.
//  - XACKs are batched: one command per loop turn with every id done in it.
//  - At start and after each reconnect of the reader, the consumer's own
//    pending list (XREADGROUP ... 0) is read again: entries delivered to it
//    whose reply was lost, or left by an earlier process of the same name.
//  - Entries pending on a dead consumer for claim_idle_ms are taken over
//    with XAUTOCLAIM (every claim_idle_ms/2). So that a live but busy
//    instance keeps what it holds, the ids it has not acknowledged yet are
//    XCLAIMed to itself (JUSTID, resets their idle time) every
//    claim_idle_ms/3.
//  - Duplicates: what a dead consumer had read and not acknowledged (and
//    what a stalled one held past claim_idle_ms) is sent again.
//  - Poison entries: one delivered max_deliveries times without finishing
//    (each crash or stall of a consumer that held it counts) is not sent
//    again but dead-lettered: XACKed, with a result entry saying why
//    ("error":"dead_letter"). Checked with XPENDING before the own pending
//    list is read and before each XAUTOCLAIM page.
//  - Reads are bounded in bytes as far as COUNT can: after each read, COUNT
//    becomes about max_read_bytes / the mean request size (1..batch).
//  - Every reply is bounded whatever the server sends (reply_bounds.h:
//    reply_limits(cfg, max_line_bytes)): one over the bound drops its
//    connection (reconnect with backoff), and the next reads take one entry
//    each until COUNT adapts again, so that legitimately large entries that
//    came at once are read again one by one rather than refused again.
//  - Consumers named <hostname>-<pid> pile up in the group across restarts:
//    every minute, consumers with nothing pending that have been idle for
//    10 x max(claim_idle_ms, block_ms) are deleted (losing nothing: a live
//    one is recreated by its next read).
//
// Results: with results_stream, one XADD per entry (fields "id" = entry id,
// "result" = the socket's wait:true answer, or the error). Feedback events:
// see feedback_publisher.h.
//
// The takeover, dead-letter and tidying side is redis::Takeover's
// (takeover.h); the reading side is here.
//
// Threading: loop thread only. Lifetime: stop_reading() at SIGTERM, then
// close(done) once the gateway drained (it flushes the last XACKs).
#pragma once
#include <uv.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "ingest/source.h"
#include "loop/next_tick.h"
#include "loop/timer.h"
#include "obs/log.h"
#include "pushgw/clock.h"
#include "redis/config.h"
#include "redis/connection.h"
#include "redis/entry_ledger.h"
#include "redis/stream_reply.h"
#include "redis/takeover.h"

namespace pushgw::redis {

class FeedbackPublisher;

struct SourceStats {
  uint64_t read = 0;         // new entries read (XREADGROUP >)
  uint64_t redelivered = 0;  // own pending entries read again (start, reconnect)
  uint64_t claimed = 0;      // entries taken over from other consumers (XAUTOCLAIM)
  uint64_t acked = 0;        // entries acknowledged (XACK answered)
  uint64_t errors = 0;       // entries that were not a valid send (acked and reported)
  uint64_t retried = 0;      // entries left pending for another delivery (drain, spool failure)
  uint64_t results = 0;      // result entries added to results_stream
  uint64_t dead_lettered = 0;  // entries delivered max_deliveries times, acknowledged unsent
};

class StreamSource final : public ingest::Source {
 public:
  // feedback_identity: names this instance's store in the feedback stream
  // and its cursor ("" = no feedback publishing). max_line_bytes: the
  // longest request the gateway takes (server.max_line_bytes), which with
  // cfg bounds what a reply may hold.
  StreamSource(uv_loop_t* loop, const RedisIngestConfig& cfg, ingest::RequestSink& sink,
               const Clock& clock, obs::Logger log, std::string feedback_identity, uint64_t max_line_bytes);
  ~StreamSource() override;
  StreamSource(const StreamSource&) = delete;
  StreamSource& operator=(const StreamSource&) = delete;

  void start();
  // Reads nothing more (SIGTERM); acknowledging goes on.
  void stop_reading();
  // Sends what is left to acknowledge or add (waits at most 3 s for it),
  // then disconnects; done runs once every handle is closed.
  void close(std::function<void()> done);

  const SourceStats& stats() const { return stats_; }
  uint64_t feedback_published() const;  // feedback events added to the stream
  // Replies over the bound (reply_bounds.h), each of which dropped its connection.
  uint64_t replies_refused() const { return cmd_.refused() + reader_.refused(); }
  size_t in_flight() const { return ledger_.held(); }
  const std::string& consumer() const { return consumer_; }

  // ingest::Source
  void on_answer(uint64_t tag, ingest::Answer kind, std::string line) override;
  void on_journaled(uint64_t tag, bool durable) override;
  void on_room() override;
  void append_stats(std::string& out) const override;
  bool wants_results() const override { return !cfg_.results_stream.empty(); }

 private:
  enum class Origin : uint8_t { New, Pending, Claimed };

  void on_cmd_ready();
  void after_refusal();
  void create_group();
  bool group_missing(const redisReply* r);
  void maybe_read();
  void read_pending();
  void read_new();
  void take(const std::vector<StreamEntry>& entries, Origin origin);
  bool command(const std::vector<std::string_view>& argv, Connection::Callback cb);
  void check_closed();
  void finish();

  const RedisIngestConfig cfg_;
  std::string consumer_;
  ingest::RequestSink& sink_;
  obs::Logger log_;
  SourceStats stats_;
  Connection cmd_;     // everything but the blocking read
  Connection reader_;  // XREADGROUP ... BLOCK only (it holds its connection)
  EntryLedger ledger_;
  Takeover takeover_;  // XAUTOCLAIM, dead letters, tidying the group's consumers
  std::unique_ptr<FeedbackPublisher> feedback_;
  loop::Timer heartbeat_timer_, retry_timer_, close_timer_;
  loop::Timer room_timer_;  // polls for ring room while the gateway is full

  std::unordered_map<uint64_t, std::string> by_tag_;  // submitted, answer not yet in: tag -> entry id
  std::vector<StreamEntry> scratch_;
  std::string pending_cursor_;     // own pending list still to read from here ("" = none)
  std::string batch_str_, block_str_;
  std::string count_str_;          // COUNT of the next read or claim (read_count())
  uint64_t next_tag_ = 1;
  uint64_t refusals_seen_ = 0;     // replies_refused() when COUNT last took note
  uint64_t outstanding_ = 0;       // commands on cmd_ whose reply is not in
  bool group_ready_ = false;
  bool reading_ = false;           // a read (own pending or new) is out
  bool swept_own_ = false;         // the own pending list was checked for poison in this pass
  bool stopping_ = false;
  bool closing_ = false;
  std::function<void()> done_;
};

// "<hostname>-<pid>": the default consumer name (a restarted process is a
// new consumer; what the old one held is claimed after claim_idle_ms).
std::string default_consumer_name();

}  // namespace pushgw::redis
