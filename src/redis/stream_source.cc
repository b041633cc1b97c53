#include "redis/stream_source.h"

#include <hiredis/hiredis.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>

#include "redis/feedback_publisher.h"

namespace pushgw::redis {
namespace {

constexpr uint64_t kRetryMs = 1000;            // after an error answer to a read or XGROUP
constexpr uint64_t kCloseWaitMs = 3000;        // close(): longest wait for the last XACKs
constexpr size_t kMaxQueuedAcks = 100'000;     // stop reading while this many wait for Redis
constexpr uint64_t kRoomPollMs = 10;           // ring fill has no event of its own: poll it while full

// What the results stream says about an entry that carries no request.
constexpr std::string_view kNoRequest =
    R"({"id":null,"ok":false,"error":"bad_request","message":"stream entry has no \"request\" field"})";

std::string_view error_text(const redisReply* r) { return std::string_view(r->str, r->len); }

Connection::Options conn_options(const RedisIngestConfig& cfg, uint64_t max_line_bytes) {
  Connection::Options o;
  o.endpoint = cfg.endpoint;
  o.url_for_logs = redact_redis_url(cfg.url);
  o.limits = reply_limits(cfg, max_line_bytes);
  return o;
}

}  // namespace

std::string default_consumer_name() {
  char host[256] = {0};
  if (gethostname(host, sizeof host - 1) != 0 || host[0] == '\0') std::snprintf(host, sizeof host, "pushgwd");
  return std::string(host) + "-" + std::to_string(getpid());
}

StreamSource::StreamSource(uv_loop_t* loop, const RedisIngestConfig& cfg, ingest::RequestSink& sink,
                           const Clock& clock, obs::Logger log, std::string feedback_identity,
                           uint64_t max_line_bytes)
    : cfg_(cfg),
      consumer_(cfg.consumer.empty() ? default_consumer_name() : cfg.consumer),
      sink_(sink),
      log_(std::move(log)),
      cmd_(loop, conn_options(cfg, max_line_bytes), clock, log_, [this] { on_cmd_ready(); }, nullptr),
      reader_(loop, conn_options(cfg, max_line_bytes), clock, log_,
              [this] {
                after_refusal();
                // Entries delivered on the lost connection are in our pending list.
                if (group_ready_) {
                  pending_cursor_ = "0-0";
                  swept_own_ = false;
                }
                maybe_read();
              },
              nullptr),
      ledger_(
          loop, cfg_, consumer_, cmd_,
          [this](const std::vector<std::string_view>& argv, Connection::Callback cb) {
            return command(argv, std::move(cb));
          },
          [this] { maybe_read(); }, stats_, log_),
      takeover_(loop, Takeover::Deps{cfg_, consumer_, sink, ledger_, stats_,
                                     [this](const std::vector<std::string_view>& argv, Connection::Callback cb) {
                                       return command(argv, std::move(cb));
                                     },
                                     [this] { return group_ready_ && cmd_.ready(); },
                                     [this](const redisReply* r) { return group_missing(r); },
                                     [this](const std::vector<StreamEntry>& e) { take(e, Origin::Claimed); },
                                     count_str_, !cfg.results_stream.empty(), log_}),
      heartbeat_timer_(loop, [this] {
        if (group_ready_) ledger_.heartbeat();  // keeps what this instance holds from looking abandoned
      }),
      retry_timer_(loop, [this] {
        if (!group_ready_) create_group();
        maybe_read();
      }),
      close_timer_(loop, [this] { finish(); }),
      room_timer_(loop, [this] { on_room(); }),
      batch_str_(std::to_string(cfg.batch)),
      block_str_(std::to_string(cfg.block_ms)),
      count_str_(batch_str_) {
  const std::string& fb = cfg.feedback_stream.empty() ? cfg.results_stream : cfg.feedback_stream;
  if (!fb.empty() && !feedback_identity.empty())
    feedback_ = std::make_unique<FeedbackPublisher>(loop, cmd_, sink, fb, std::move(feedback_identity),
                                                    cfg.results_maxlen, log_);
}

StreamSource::~StreamSource() = default;

void StreamSource::start() {
  PGW_LOG(log_, Info, "consuming stream %s as %s/%s from %s", cfg_.stream.c_str(), cfg_.group.c_str(),
          consumer_.c_str(), redact_redis_url(cfg_.url).c_str());
  cmd_.start();
  reader_.start();
  const uint64_t beat_every = std::max<uint64_t>(30, static_cast<uint64_t>(cfg_.claim_idle_ms) / 3);
  heartbeat_timer_.start(beat_every, beat_every);
  takeover_.start();
  if (feedback_) feedback_->start();
}

bool StreamSource::command(const std::vector<std::string_view>& argv, Connection::Callback cb) {
  if (!cmd_.command(argv, [this, cb = std::move(cb)](const redisReply* r) {
        --outstanding_;
        cb(r);
        if (closing_) check_closed();
      }))
    return false;
  ++outstanding_;
  return true;
}

void StreamSource::on_cmd_ready() {
  after_refusal();
  if (!group_ready_) create_group();
  ledger_.flush();
  maybe_read();
}

// A reply over the bound dropped a connection: its entries (if it was a
// read) are in our pending list or another consumer's. Read one at a time
// until COUNT adapts again (read_count), so entries that were too large
// together are each read alone; one too large alone stays refused and is
// dead-lettered after max_deliveries.
void StreamSource::after_refusal() {
  const uint64_t refused = replies_refused();
  if (refused == refusals_seen_) return;
  refusals_seen_ = refused;
  count_str_ = "1";
}

// Reading from "0" on creation: what upstream added before the first
// instance ever started is work too.
void StreamSource::create_group() {
  command({"XGROUP", "CREATE", cfg_.stream, cfg_.group, "0", "MKSTREAM"}, [this](const redisReply* r) {
    if (r == nullptr) return;  // reconnect runs this again
    if (r->type == REDIS_REPLY_ERROR && error_text(r).substr(0, 9) != "BUSYGROUP") {
      PGW_LOG(log_, Error, "XGROUP CREATE %s %s: %.*s", cfg_.stream.c_str(), cfg_.group.c_str(),
              static_cast<int>(r->len), r->str);
      retry_timer_.start(kRetryMs);
      return;
    }
    group_ready_ = true;
    pending_cursor_ = "0-0";
    maybe_read();
  });
}

// The group vanished (the stream was deleted, FLUSHALL): create it again.
bool StreamSource::group_missing(const redisReply* r) {
  if (r->type != REDIS_REPLY_ERROR || error_text(r).substr(0, 7) != "NOGROUP") return false;
  PGW_LOG(log_, Warn, "consumer group %s is gone; creating it again", cfg_.group.c_str());
  group_ready_ = false;
  create_group();
  return true;
}

void StreamSource::on_room() {
  maybe_read();
  takeover_.resume();
}

// Back-pressure: one read at a time, and only while the gateway has room
// and acknowledgements can reach Redis.
void StreamSource::maybe_read() {
  if (stopping_ || reading_ || !group_ready_ || !cmd_.ready()) return;
  if (!sink_.may_submit()) {
    if (!room_timer_.active()) room_timer_.start(kRoomPollMs);
    return;
  }
  if (ledger_.acks_queued() >= kMaxQueuedAcks) return;
  if (!pending_cursor_.empty())
    read_pending();
  else if (reader_.ready())
    read_new();
}

void StreamSource::read_pending() {
  reading_ = true;
  if (!swept_own_) {  // once per pass over the own pending list, from its start
    swept_own_ = true;
    takeover_.sweep_poison("-", 0, true, [this] {
      reading_ = false;
      maybe_read();
    });
    return;
  }
  const bool sent = command({"XREADGROUP", "GROUP", cfg_.group, consumer_, "COUNT", count_str_, "STREAMS",
                             cfg_.stream, pending_cursor_},
                            [this](const redisReply* r) {
                              reading_ = false;
                              if (r == nullptr || group_missing(r)) return;
                              scratch_.clear();
                              if (!parse_read_reply(r, scratch_)) {
                                PGW_LOG(log_, Warn, "unexpected reply to XREADGROUP (pending)");
                                retry_timer_.start(kRetryMs);
                                return;
                              }
                              if (scratch_.empty()) {
                                pending_cursor_.clear();  // all caught up
                                swept_own_ = false;
                              } else {
                                pending_cursor_.assign(scratch_.back().id);
                                if (!scratch_.empty())
                                  count_str_ = read_count(cfg_.max_read_bytes, cfg_.batch, scratch_);
                                take(scratch_, Origin::Pending);
                              }
                              maybe_read();
                            });
  if (!sent) reading_ = false;
}

void StreamSource::read_new() {
  reading_ = true;
  const bool sent = reader_.command({"XREADGROUP", "GROUP", cfg_.group, consumer_, "COUNT", count_str_, "BLOCK",
                                     block_str_, "STREAMS", cfg_.stream, ">"},
                                    [this](const redisReply* r) {
                                      reading_ = false;
                                      if (r == nullptr || group_missing(r)) return;
                                      scratch_.clear();
                                      if (!parse_read_reply(r, scratch_)) {
                                        if (r->type == REDIS_REPLY_ERROR)
                                          PGW_LOG(log_, Warn, "XREADGROUP: %.*s", static_cast<int>(r->len), r->str);
                                        retry_timer_.start(kRetryMs);
                                        return;
                                      }
                                      if (!scratch_.empty())
                                        count_str_ = read_count(cfg_.max_read_bytes, cfg_.batch, scratch_);
                                      take(scratch_, Origin::New);
                                      maybe_read();
                                    });
  if (!sent) reading_ = false;
}

void StreamSource::take(const std::vector<StreamEntry>& entries, Origin origin) {
  if (stopping_) return;  // left pending: another instance (or our restart) takes them
  for (const StreamEntry& e : entries) {
    std::string id(e.id);
    if (!ledger_.hold(id)) continue;  // already being handled here
    switch (origin) {
      case Origin::New: ++stats_.read; break;
      case Origin::Pending: ++stats_.redelivered; break;
      case Origin::Claimed: ++stats_.claimed; break;
    }
    if (e.deleted) {  // trimmed away before we got to it: nothing to send
      ledger_.ack(id);
      continue;
    }
    if (!e.has_request) {
      ++stats_.errors;
      PGW_LOG(log_, Warn, "entry %s has no \"request\" field; acknowledged", id.c_str());
      if (wants_results()) ledger_.add_result(id, std::string(kNoRequest));
      ledger_.ack(id);
      continue;
    }
    const uint64_t tag = next_tag_++;
    by_tag_.emplace(tag, id);
    sink_.submit(tag, e.request);  // may answer at once
  }
}

void StreamSource::on_answer(uint64_t tag, ingest::Answer kind, std::string line) {
  auto it = by_tag_.find(tag);
  if (it == by_tag_.end()) return;
  std::string id = std::move(it->second);
  by_tag_.erase(it);
  switch (kind) {
    case ingest::Answer::Rejected:
      ++stats_.errors;
      if (wants_results()) ledger_.add_result(id, std::move(line));
      ledger_.ack(id);
      break;
    case ingest::Answer::Accepted:
      ledger_.ack(id);
      break;
    case ingest::Answer::Final:
      ledger_.ack(id);  // no-op when on_journaled did it
      if (wants_results()) ledger_.add_result(std::move(id), std::move(line));
      break;
    case ingest::Answer::Interrupted:
    case ingest::Answer::Retry:
      ++stats_.retried;
      ledger_.release(id);  // stays pending in Redis
      break;
  }
}

void StreamSource::on_journaled(uint64_t tag, bool durable) {
  auto it = by_tag_.find(tag);
  if (it != by_tag_.end() && durable) ledger_.ack(it->second);
}

void StreamSource::stop_reading() {
  if (stopping_) return;
  stopping_ = true;
  takeover_.stop();
  room_timer_.stop();
  // A blocked read would still hand us entries; they stay pending instead.
  reader_.close();
}

void StreamSource::close(std::function<void()> done) {
  stop_reading();
  closing_ = true;
  done_ = std::move(done);
  ledger_.flush();
  close_timer_.start(kCloseWaitMs);
  check_closed();
}

void StreamSource::check_closed() {
  if (!closing_ || !done_) return;
  if (outstanding_ > 0 || ledger_.owes_redis()) return;
  finish();
}

void StreamSource::finish() {
  if (!done_) return;
  if (ledger_.acks_queued() > 0)
    PGW_LOG(log_, Warn, "closing with %zu entries unacknowledged (Redis unreachable); they will be delivered again",
            ledger_.acks_queued());
  auto done = std::move(done_);
  done_ = nullptr;
  if (feedback_) feedback_->close();
  cmd_.close();
  reader_.close();
  takeover_.close();
  room_timer_.close();
  heartbeat_timer_.close();
  retry_timer_.close();
  ledger_.close();
  close_timer_.close([done] { done(); });  // the last handle: done once all are released
}

uint64_t StreamSource::feedback_published() const { return feedback_ ? feedback_->published() : 0; }

void StreamSource::append_stats(std::string& out) const {
  char buf[512];
  std::snprintf(buf, sizeof buf,
                "\"redis\":{\"read\":%llu,\"redelivered\":%llu,\"claimed\":%llu,\"acked\":%llu,\"errors\":%llu,"
                "\"retried\":%llu,\"results\":%llu,\"feedback\":%llu,\"in_flight\":%zu,\"connected\":%s,"
                "\"reconnects\":%llu,\"dead_lettered\":%llu,\"replies_refused\":%llu}",
                static_cast<unsigned long long>(stats_.read), static_cast<unsigned long long>(stats_.redelivered),
                static_cast<unsigned long long>(stats_.claimed), static_cast<unsigned long long>(stats_.acked),
                static_cast<unsigned long long>(stats_.errors), static_cast<unsigned long long>(stats_.retried),
                static_cast<unsigned long long>(stats_.results),
                static_cast<unsigned long long>(feedback_published()), ledger_.held(),
                cmd_.ready() && (stopping_ || reader_.ready()) ? "true" : "false",
                static_cast<unsigned long long>(cmd_.reconnects() + reader_.reconnects()),
                static_cast<unsigned long long>(stats_.dead_lettered),
                static_cast<unsigned long long>(replies_refused()));
  out += buf;
}

}  // namespace pushgw::redis
