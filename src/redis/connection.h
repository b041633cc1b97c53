// One asynchronous Redis connection (hiredis on the libuv loop) that keeps
// itself up: resolve the host on libuv's thread pool, connect without
// blocking, AUTH / SELECT / PING, and after any loss reconnect with
// exponential backoff and full jitter until close().
//
// Threading: loop thread only. Callbacks (on_ready, on_down, command
// callbacks) run from libuv/hiredis callbacks on that thread; they may issue
// commands and may call reset(), but must not destroy the Connection.
//
// Command callbacks get the reply, or nullptr when the connection was lost
// (or reset()) before it came: the command may or may not have run. After
// close() no callback runs at all.
//
// A reply over Options::limits (reply_bounds.h: declared array sizes, string
// bytes, bytes buffered unparsed) is refused before hiredis allocates it:
// the connection is dropped and reconnects like after any error, and
// refused() counts it.
#pragma once
#include <uv.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "base/backoff.h"
#include "loop/timer.h"
#include "obs/log.h"
#include "pushgw/clock.h"
#include "redis/config.h"
#include "redis/reply_bounds.h"

struct redisAsyncContext;
struct redisReply;

namespace pushgw::net {
class Resolver;
}

namespace pushgw::redis {

class Connection {
 public:
  using Callback = std::function<void(const redisReply* reply)>;
  struct Options {
    RedisEndpoint endpoint;
    std::string url_for_logs;     // already redacted
    int connect_timeout_ms = 5000;
    ReplyLimits limits;           // reply_limits(); zero refuses every reply
  };

  // on_ready: connected and handshake done (again after each reconnect).
  // on_down: a ready connection was lost (not called for failed attempts).
  Connection(uv_loop_t* loop, Options opts, const Clock& clock, obs::Logger log, std::function<void()> on_ready,
             std::function<void()> on_down);
  ~Connection();
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  void start();
  bool ready() const { return state_ == State::Ready; }
  // Queues a command (hiredis writes everything queued in one loop turn).
  // Returns false, without calling cb, when the connection is not ready.
  bool command(const std::vector<std::string_view>& argv, Callback cb);
  // Drops the connection (pending callbacks get nullptr) and reconnects after backoff.
  void reset(const char* why);
  // Stops for good: drops the connection and every pending callback, closes timers.
  void close();
  uint64_t reconnects() const { return reconnects_; }
  // Replies refused for being over the limits (each dropped the connection).
  uint64_t refused() const { return refused_; }
  // Bumped each time the connection becomes ready: per-connection state
  // (WATCH) from an older generation is gone.
  uint64_t generation() const { return generation_; }

 private:
  enum class State : uint8_t { Idle, Resolving, Connecting, Ready, Closed };
  struct Pending;

  static void on_connect(const redisAsyncContext* ac, int status);
  static void on_disconnect(const redisAsyncContext* ac, int status);
  static void on_reply(redisAsyncContext* ac, void* reply, void* priv);

  void attempt();
  void connect_to(const std::string& ip);
  void handshake();
  void failed(const std::string& why);
  void after_read(const redisAsyncContext* ac);
  void refused_reply();
  void drop_context();
  bool send(redisAsyncContext* ac, const std::vector<std::string_view>& argv, Callback cb);

  uv_loop_t* loop_;
  Options opts_;
  obs::Logger log_;
  std::function<void()> on_ready_, on_down_;
  base::Backoff backoff_;
  std::unique_ptr<net::Resolver> resolver_;
  ReplyBounds bounds_;  // installed on each context's reader; outlives it
  loop::Timer retry_timer_, connect_timer_;
  redisAsyncContext* ac_ = nullptr;
  State state_ = State::Idle;
  bool was_ready_ = false;  // log the first failure after a good spell once
  uint64_t reconnects_ = 0;
  uint64_t refused_ = 0;
  uint64_t generation_ = 0;
  std::vector<const char*> argv_;  // scratch for redisAsyncCommandArgv
  std::vector<size_t> lens_;
};

}  // namespace pushgw::redis
