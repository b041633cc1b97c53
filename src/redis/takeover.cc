#include "redis/takeover.h"

#include <hiredis/hiredis.h>

#include <algorithm>

#include "redis/stream_source.h"

namespace pushgw::redis {
namespace {

constexpr uint64_t kTidyEveryMs = 60'000;  // looks for abandoned consumers

}  // namespace

Takeover::Takeover(uv_loop_t* loop, Deps deps)
    : d_(std::move(deps)),
      claim_timer_(loop, [this] { page(); }),
      tidy_timer_(loop, [this] { tidy_consumers(); }),
      idle_str_(std::to_string(d_.cfg.claim_idle_ms)) {}

void Takeover::start() {
  const uint64_t claim_every = std::max<uint64_t>(50, static_cast<uint64_t>(d_.cfg.claim_idle_ms) / 2);
  claim_timer_.start(claim_every, claim_every);
  tidy_timer_.start(kTidyEveryMs, kTidyEveryMs);
}

void Takeover::stop() {
  stopped_ = true;
  claim_timer_.stop();
  tidy_timer_.stop();
}

void Takeover::close() {
  claim_timer_.close();
  tidy_timer_.close();
}

void Takeover::resume() {
  if (cursor_ != "0-0") page();
}

void Takeover::page() {
  if (!may_claim()) return;
  claiming_ = true;
  sweep_poison(cursor_, static_cast<uint64_t>(d_.cfg.claim_idle_ms), false, [this] {
    claiming_ = false;
    autoclaim();
  });
}

void Takeover::sweep_poison(std::string_view start, uint64_t idle_ms, bool own, std::function<void()> next) {
  if (d_.cfg.max_deliveries <= 0) {
    next();
    return;
  }
  const std::string idle = std::to_string(idle_ms);
  const std::string batch = std::to_string(d_.cfg.batch);
  std::vector<std::string_view> argv = {"XPENDING", d_.cfg.stream, d_.cfg.group, "IDLE", idle, start, "+", batch};
  if (own) argv.push_back(d_.consumer);
  const bool sent = d_.command(argv, [this, next = std::move(next)](const redisReply* r) {
    std::vector<PendingInfo> pending;
    if (r != nullptr && parse_pending_reply(r, pending)) {
      for (const PendingInfo& p : pending) {
        if (p.deliveries < d_.cfg.max_deliveries) continue;
        std::string id(p.id);
        if (!d_.ledger.hold(id)) continue;  // being handled here
        ++d_.stats.dead_lettered;
        PGW_LOG(d_.log, Warn, "entry %s delivered %lld times without finishing: dead-lettered (acknowledged, not sent)",
                id.c_str(), p.deliveries);
        if (d_.results)
          d_.ledger.add_result(id, R"({"id":null,"ok":false,"error":"dead_letter","message":"delivered )" +
                                       std::to_string(p.deliveries) +
                                       R"( times without finishing ([ingest.redis] max_deliveries); not sent again"})");
        d_.ledger.ack(id);
      }
    }
    next();  // also when the connection was lost: next finds it not ready
  });
  if (!sent) next();
}

void Takeover::autoclaim() {
  if (!may_claim()) return;
  claiming_ = true;
  const bool sent = d_.command({"XAUTOCLAIM", d_.cfg.stream, d_.cfg.group, d_.consumer, idle_str_, cursor_, "COUNT",
                                d_.count},
                               [this](const redisReply* r) {
                                 claiming_ = false;
                                 if (r == nullptr || d_.group_missing(r)) return;
                                 std::vector<StreamEntry> claimed;
                                 size_t deleted = 0;
                                 if (!parse_autoclaim_reply(r, cursor_, claimed, deleted)) {
                                   if (r->type == REDIS_REPLY_ERROR)
                                     PGW_LOG(d_.log, Warn, "XAUTOCLAIM: %.*s", static_cast<int>(r->len), r->str);
                                   cursor_ = "0-0";
                                   return;
                                 }
                                 if (!claimed.empty())
                                   d_.count = read_count(d_.cfg.max_read_bytes, d_.cfg.batch, claimed);
                                 d_.take(claimed);
                                 // More to scan: go on while there is room, else at the next tick.
                                 if (cursor_ != "0-0") page();
                               });
  if (!sent) claiming_ = false;
}

void Takeover::tidy_consumers() {
  if (stopped_ || !d_.ready()) return;
  const long long idle_limit = 10LL * std::max(d_.cfg.claim_idle_ms, d_.cfg.block_ms);
  d_.command({"XINFO", "CONSUMERS", d_.cfg.stream, d_.cfg.group}, [this, idle_limit](const redisReply* r) {
    std::vector<ConsumerInfo> all;
    if (r == nullptr || !parse_consumers_reply(r, all)) return;
    for (const ConsumerInfo& c : all) {
      if (c.name == d_.consumer || c.pending > 0 || c.idle_ms < idle_limit) continue;
      PGW_LOG(d_.log, Info, "deleting consumer %.*s (nothing pending, idle %lld s)", static_cast<int>(c.name.size()),
              c.name.data(), c.idle_ms / 1000);
      d_.command({"XGROUP", "DELCONSUMER", d_.cfg.stream, d_.cfg.group, c.name}, [](const redisReply*) {});
    }
  });
}

}  // namespace pushgw::redis
