// What one stream consumer holds and still owes Redis (internal to
// StreamSource): the entry ids read here and not yet acknowledged, the XACK
// queue and the results queue. Flushed once per loop turn, results first,
// so an entry's result is never missing once it is acknowledged; anything
// lost with the connection is queued again (acknowledging twice is
// harmless). A heartbeat XCLAIMs (JUSTID) what is held so that other
// instances do not take it over while this one is busy.
//
// Threading: loop thread only.
#pragma once
#include <uv.h>

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "redis/config.h"
#include "loop/next_tick.h"
#include "obs/log.h"
#include "redis/connection.h"

namespace pushgw::redis {

struct SourceStats;

class EntryLedger {
 public:
  // send: a command on the command connection, counted by the owner (false
  // when it could not be queued). on_acked: an XACK was answered.
  using Send = std::function<bool(const std::vector<std::string_view>& argv, Connection::Callback cb)>;

  EntryLedger(uv_loop_t* loop, const RedisIngestConfig& cfg, const std::string& consumer,
              const Connection& cmd, Send send, std::function<void()> on_acked, SourceStats& stats,
              obs::Logger log);
  EntryLedger(const EntryLedger&) = delete;
  EntryLedger& operator=(const EntryLedger&) = delete;

  // Starts holding id; false when it is held here already.
  bool hold(const std::string& id);
  // Stops holding id without acknowledging (it stays pending in Redis for
  // another delivery), unless its XACK is already queued.
  void release(const std::string& id);
  // Queues the XACK of a held id (once).
  void ack(const std::string& id);
  void add_result(std::string entry_id, std::string json);
  // Sends the queues now when the command connection is ready.
  void flush();
  void heartbeat();

  size_t held() const { return known_.size(); }
  size_t acks_queued() const { return ack_q_.size(); }
  bool owes_redis() const { return !ack_q_.empty() || !results_q_.empty(); }
  void close() { flush_tick_.close(); }

 private:
  struct Result {
    std::string entry_id, json;
  };

  void flush_results();
  void flush_acks();

  const RedisIngestConfig& cfg_;
  const std::string& consumer_;
  const Connection& cmd_;
  Send send_;
  std::function<void()> on_acked_;
  SourceStats& stats_;
  obs::Logger log_;
  loop::NextTick flush_tick_;
  std::unordered_map<std::string, bool> known_;  // held here, not yet XACK-confirmed: id -> ack queued
  std::vector<std::string> ack_q_;
  std::vector<Result> results_q_;
  std::string maxlen_str_;
};

}  // namespace pushgw::redis
