// The request socket: a libuv AF_UNIX stream listener that frames NDJSON
// lines per connection and hands them to a Handler; responses go back with
// respond(), in any order (clients correlate by "id").
//
// Threading: everything runs on the loop's thread; no method is thread-safe.
//
// Flow control:
//  - pause_reading()/resume_reading(): global back-pressure (queue full).
//    While paused, each line read is first offered to
//    Handler::holds_while_paused: a line that needs queue room (a send) is
//    held, with what its connection sent after it, and that connection is
//    not read again until resume; other lines (`stats`, `feedback`) are
//    answered as usual, so a monitoring client is not stuck behind the
//    senders. Each connection holds at most one line (max_line_bytes) plus
//    one read's unframed bytes, as when it is read normally.
//  - a connection whose unwritten responses exceed kMaxPendingOutput stops
//    being read until they drain below half of it (slow reader), and so
//    does one with Limits::max_pipelined requests still unanswered; lines
//    it already sent wait unread in its stash, so neither reading nor
//    processing goes on until the client drains. Answers in the making are
//    what would otherwise pile up: a pipelined feedback read is answered
//    later, by the store.
//  - at most Limits::max_connections clients: one more gets the line
//    {"id":null,"ok":false,"error":"too_many_connections",...} and is closed.
//  - a connection idle for Limits::idle_timeout_ms (nothing read while it
//    owed nothing, or its answers not read) is closed; waiting for the
//    daemon's answers is not idle. A partial line is at most max_line_bytes,
//    and the idle timeout ends one that never completes.
//
// Half-close: when a client shuts down its write side, a final line without
// '\n' is still delivered, and the connection is closed once every delivered
// line (on_line or on_too_long) got its response — the contract promises
// exactly one response per request, so the server counts them.
//
// Lifetime: every handle lives in a loop/ box, so the Server may be
// destroyed at any time; no Handler callback runs after close() or
// destruction. close(done) still lets a caller sequence its own shutdown.
#pragma once
#include <uv.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "ingest/client_conn.h"
#include "loop/deferred_delete.h"
#include "loop/stream.h"
#include "loop/timer.h"
#include "obs/log.h"
#include "pushgw/result.h"

namespace pushgw::ingest {

class Server {
 public:
  // Callbacks run on the loop thread from within libuv callbacks; they may
  // call respond(), pause_reading() and resume_reading().
  struct Handler : ClientConn::Lines {
    // on_line(conn_id, line): the view is valid during the call.
    // on_too_long(conn_id): a line over max_line_bytes (it was skipped).
    // The connection is gone; a later respond() is dropped. Called from the
    // loop, or from inside close() for the connections it closes.
    virtual void on_close(uint64_t /*conn_id*/) {}
  };

  static constexpr size_t kMaxPendingOutput = 8u << 20;

  struct Limits {
    size_t max_line_bytes = 16u << 20;
    size_t max_connections = 1024;
    uint64_t max_pipelined = 64;   // unanswered requests per connection
    uint64_t idle_timeout_ms = 0;  // 0: never
  };

  Server(uv_loop_t* loop, Handler& handler, Limits limits, obs::Logger log);
  Server(uv_loop_t* loop, Handler& handler, size_t max_line_bytes, obs::Logger log)
      : Server(loop, handler, Limits{max_line_bytes}, std::move(log)) {}
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // Removes a stale socket file (refuses when it is not a socket or another
  // process still accepts on it), binds, chmods to mode, listens.
  // Errors: "listen_failed".
  Result<void> listen(const std::string& path, uint32_t mode);
  // Listens on an inherited socket (systemd socket activation). "listen_failed".
  Result<void> adopt(int fd);
  // SO_PEERCRED check on accept (ingest/peer_cred.h).
  void set_allowed(std::vector<uint32_t> uids, std::vector<uint32_t> gids);

  // Queues line + '\n'. Silently dropped when the connection is gone.
  void respond(uint64_t conn_id, std::string line);
  void pause_reading();
  void resume_reading();
  bool paused() const { return paused_; }
  size_t connections() const { return conns_.size(); }
  // The client's uid (SO_PEERCRED at accept); nullopt for an unknown or
  // closed connection.
  std::optional<uint32_t> peer_uid(uint64_t conn_id) const;
  // Stops listening, closes every connection (unsent responses are dropped;
  // on_close runs for each before this returns), unlinks the socket path
  // bound by listen(). done runs from a libuv close callback on a later
  // turn, after which nothing of the Server is left for the loop to run.
  void close(std::function<void()> done);

 private:
  Result<void> start_listening(const char* what);
  void accept_one();
  void refuse(ClientConn& c);
  void close_idle();
  void retire(ClientConn& c);
  void schedule_pump();
  void pump_all();

  uv_loop_t* loop_;
  Handler& handler_;
  Limits limits_;
  obs::Logger log_;
  std::unique_ptr<char[]> readbuf_;
  bool paused_ = false;
  bool closing_ = false;
  ClientConn::Env env_;
  std::unique_ptr<loop::PipeStream> listener_;
  loop::Timer pump_timer_;
  loop::Timer idle_timer_;
  std::unordered_map<uint64_t, std::unique_ptr<ClientConn>> conns_;
  std::vector<uint64_t> scratch_ids_;
  uint64_t next_id_ = 1;
  std::string path_;  // unlinked on close when we bound it
  std::vector<uint32_t> uids_, gids_;
};

}  // namespace pushgw::ingest
