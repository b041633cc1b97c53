#include "redis/entry_ledger.h"

#include <hiredis/hiredis.h>

#include <algorithm>
#include <memory>

#include "redis/stream_source.h"

namespace pushgw::redis {
namespace {
constexpr size_t kIdsPerCommand = 1000;  // XACK / XCLAIM ids per command
}  // namespace

EntryLedger::EntryLedger(uv_loop_t* loop, const RedisIngestConfig& cfg, const std::string& consumer,
                         const Connection& cmd, Send send, std::function<void()> on_acked, SourceStats& stats,
                         obs::Logger log)
    : cfg_(cfg),
      consumer_(consumer),
      cmd_(cmd),
      send_(std::move(send)),
      on_acked_(std::move(on_acked)),
      stats_(stats),
      log_(std::move(log)),
      flush_tick_(loop, [this] { flush(); }),
      maxlen_str_(cfg.results_maxlen > 0 ? std::to_string(cfg.results_maxlen) : std::string()) {}

bool EntryLedger::hold(const std::string& id) { return known_.emplace(id, false).second; }

void EntryLedger::release(const std::string& id) {
  auto k = known_.find(id);
  if (k != known_.end() && !k->second) known_.erase(k);
}

void EntryLedger::ack(const std::string& id) {
  auto k = known_.find(id);
  if (k == known_.end() || k->second) return;
  k->second = true;
  ack_q_.push_back(id);
  flush_tick_.schedule();
}

void EntryLedger::add_result(std::string entry_id, std::string json) {
  results_q_.push_back(Result{std::move(entry_id), std::move(json)});
  flush_tick_.schedule();
}

void EntryLedger::flush() {
  if (!cmd_.ready()) return;  // the owner flushes again once it is
  flush_results();
  flush_acks();
}

void EntryLedger::flush_results() {
  std::vector<Result> batch;
  batch.swap(results_q_);
  for (Result& res : batch) {
    auto kept = std::make_shared<Result>(std::move(res));
    auto cb = [this, kept](const redisReply* r) {
      if (r == nullptr) {  // lost with the connection: add it again
        results_q_.push_back(std::move(*kept));
        flush_tick_.schedule();
      } else if (r->type == REDIS_REPLY_ERROR) {
        PGW_LOG(log_, Warn, "XADD %s: %.*s", cfg_.results_stream.c_str(), static_cast<int>(r->len), r->str);
      } else {
        ++stats_.results;
      }
    };
    const bool sent =
        maxlen_str_.empty()
            ? send_({"XADD", cfg_.results_stream, "*", "id", kept->entry_id, "result", kept->json}, cb)
            : send_({"XADD", cfg_.results_stream, "MAXLEN", "~", maxlen_str_, "*", "id", kept->entry_id, "result",
                     kept->json},
                    cb);
    if (!sent) results_q_.push_back(std::move(*kept));
  }
}

void EntryLedger::flush_acks() {
  while (!ack_q_.empty()) {
    const size_t n = std::min(ack_q_.size(), kIdsPerCommand);
    auto ids = std::make_shared<std::vector<std::string>>(std::make_move_iterator(ack_q_.end() - static_cast<long>(n)),
                                                          std::make_move_iterator(ack_q_.end()));
    ack_q_.resize(ack_q_.size() - n);
    std::vector<std::string_view> argv = {"XACK", cfg_.stream, cfg_.group};
    argv.insert(argv.end(), ids->begin(), ids->end());
    const bool sent = send_(argv, [this, ids](const redisReply* r) {
      if (r == nullptr) {  // unknown whether it ran: acknowledging again is harmless
        ack_q_.insert(ack_q_.end(), ids->begin(), ids->end());
        flush_tick_.schedule();
        return;
      }
      if (r->type == REDIS_REPLY_ERROR)
        PGW_LOG(log_, Warn, "XACK: %.*s", static_cast<int>(r->len), r->str);
      else
        stats_.acked += ids->size();
      for (const std::string& id : *ids) known_.erase(id);
      on_acked_();
    });
    if (!sent) {
      ack_q_.insert(ack_q_.end(), ids->begin(), ids->end());
      return;
    }
  }
}

void EntryLedger::heartbeat() {
  if (known_.empty() || !cmd_.ready()) return;
  std::vector<std::string_view> argv = {"XCLAIM", cfg_.stream, cfg_.group, consumer_, "0"};
  const size_t head = argv.size();
  auto send = [&] {
    argv.push_back("JUSTID");
    send_(argv, [](const redisReply*) {});
    argv.resize(head);
  };
  for (const auto& [id, acked] : known_) {
    argv.push_back(id);
    if (argv.size() - head == kIdsPerCommand) send();
  }
  if (argv.size() > head) send();
}

}  // namespace pushgw::redis
