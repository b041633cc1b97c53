#include "redis/feedback_publisher.h"

#include <hiredis/hiredis.h>

#include <charconv>

namespace pushgw::redis {

FeedbackPublisher::FeedbackPublisher(uv_loop_t* loop, Connection& conn, ingest::RequestSink& sink, std::string stream,
                                     std::string identity, int64_t maxlen, obs::Logger log)
    : conn_(conn),
      sink_(sink),
      stream_(std::move(stream)),
      cursor_key_(stream_ + ":cursor"),
      identity_(std::move(identity)),
      maxlen_(maxlen > 0 ? std::to_string(maxlen) : std::string()),
      log_(std::move(log)),
      timer_(loop, [this] { tick(); }) {}

void FeedbackPublisher::start() { timer_.start(kIntervalMs, kIntervalMs); }

// again: a full page went out (or we lost a race): continue at once.
void FeedbackPublisher::done(bool again) {
  busy_ = false;
  if (again && !timer_.closed()) timer_.start(0, kIntervalMs);
}

void FeedbackPublisher::tick() {
  if (busy_ || !conn_.ready()) return;
  busy_ = true;
  const uint64_t gen = conn_.generation();
  conn_.command({"WATCH", cursor_key_}, [](const redisReply*) {});
  const bool sent = conn_.command({"HGET", cursor_key_, identity_}, [this, gen](const redisReply* r) {
    if (r == nullptr || r->type == REDIS_REPLY_ERROR) {
      if (r) PGW_LOG(log_, Warn, "feedback cursor: %.*s", static_cast<int>(r->len), r->str);
      done(false);
      return;
    }
    uint64_t since = 0;
    if (r->type == REDIS_REPLY_STRING) std::from_chars(r->str, r->str + r->len, since);
    sink_.read_feedback(since, kPage, [this, gen](pushgw::Result<ingest::FeedbackPage> page) {
      if (!page.ok()) {
        PGW_LOG(log_, Warn, "feedback: %s", page.error().message.c_str());
        done(false);
        return;
      }
      publish(std::move(page.value()), gen);
    });
  });
  if (!sent) busy_ = false;
}

void FeedbackPublisher::publish(ingest::FeedbackPage page, uint64_t generation) {
  // A reconnect dropped our WATCH: start over rather than write unguarded.
  if (!conn_.ready() || conn_.generation() != generation) {
    done(false);
    return;
  }
  if (page.events.empty()) {
    conn_.command({"UNWATCH"}, [](const redisReply*) {});
    done(false);
    return;
  }
  // Issued back to back on one thread: nothing else can land inside MULTI.
  conn_.command({"MULTI"}, [](const redisReply*) {});
  for (const std::string& ev : page.events) {
    if (maxlen_.empty())
      conn_.command({"XADD", stream_, "*", "feedback", ev, "store", identity_}, [](const redisReply*) {});
    else
      conn_.command({"XADD", stream_, "MAXLEN", "~", maxlen_, "*", "feedback", ev, "store", identity_},
                    [](const redisReply*) {});
  }
  const std::string next = std::to_string(page.next);
  const size_t n = page.events.size();
  conn_.command({"HSET", cursor_key_, identity_, next}, [](const redisReply*) {});
  conn_.command({"EXEC"}, [this, n](const redisReply* r) {
    if (r == nullptr) {
      done(false);
      return;
    }
    if (r->type == REDIS_REPLY_NIL) {  // another publisher moved the cursor first
      done(true);
      return;
    }
    if (r->type == REDIS_REPLY_ERROR) {
      PGW_LOG(log_, Warn, "feedback: EXEC: %.*s", static_cast<int>(r->len), r->str);
      done(false);
      return;
    }
    published_ += n;
    done(n == kPage);
  });
}

}  // namespace pushgw::redis
