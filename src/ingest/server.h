// The request socket: a libuv AF_UNIX stream listener that frames NDJSON
// lines per connection and hands them to a Handler; responses go back with
// respond(), in any order (clients correlate by "id").
//
// Threading: everything runs on the loop's thread; no method is thread-safe.
//
// Flow control:
//  - pause_reading()/resume_reading(): global back-pressure (queue full).
//    Lines already read but not yet framed are held per connection and
//    handed out after resume; on_line is never called while paused.
//  - a connection whose unwritten responses exceed kMaxPendingOutput stops
//    being read until they drain below half of it (slow reader).
//
// Half-close: when a client shuts down its write side, a final line without
// '\n' is still delivered, and the connection is closed once every delivered
// line (on_line or on_too_long) got its response — the contract promises
// exactly one response per request, so the server counts them.
//
// Lifetime: call close(done) and let the loop run until done is called
// before destroying the Server; handles stay registered with the loop until
// then. Connection objects are freed only in their libuv close callbacks.
#pragma once
#include <uv.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "ingest/line_framer.h"
#include "obs/log.h"
#include "pushgw/result.h"

namespace pushgw::ingest {

class Server {
 public:
  // Callbacks run on the loop thread from within libuv callbacks; they may
  // call respond(), pause_reading() and resume_reading().
  struct Handler {
    virtual ~Handler() = default;
    virtual void on_line(uint64_t conn_id, std::string_view line) = 0;  // view valid during the call
    virtual void on_too_long(uint64_t conn_id) = 0;
    virtual void on_close(uint64_t /*conn_id*/) {}  // the connection is gone; later respond() is dropped
  };

  static constexpr size_t kMaxPendingOutput = 8u << 20;

  Server(uv_loop_t* loop, Handler& handler, size_t max_line_bytes, obs::Logger log);
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // Removes a stale socket file (refuses when it is not a socket or another
  // process still accepts on it), binds, chmods to mode, listens.
  // Errors: "listen_failed".
  Result<void> listen(const std::string& path, uint32_t mode);
  // Listens on an inherited socket (systemd socket activation). "listen_failed".
  Result<void> adopt(int fd);
  // SO_PEERCRED check on accept: a peer is admitted when its uid is listed,
  // its primary or a supplementary gid is listed, or it runs as our own uid.
  // Both empty: everyone who can open the socket. Refusals are logged.
  void set_allowed(std::vector<uint32_t> uids, std::vector<uint32_t> gids);

  // Queues line + '\n'. Silently dropped when the connection is gone.
  void respond(uint64_t conn_id, std::string line);
  void pause_reading();
  void resume_reading();
  bool paused() const { return paused_; }
  size_t connections() const { return conns_.size(); }
  // Stops listening, closes every connection (unsent responses are dropped),
  // unlinks the socket path bound by listen(). done runs from a libuv close
  // callback once every handle is closed.
  void close(std::function<void()> done);

 private:
  struct Conn;
  struct WriteReq;

  static void on_connection(uv_stream_t* server, int status);
  static void on_alloc(uv_handle_t* h, size_t suggested, uv_buf_t* buf);
  static void on_read(uv_stream_t* s, ssize_t nread, const uv_buf_t* buf);
  static void on_write(uv_write_t* req, int status);
  static void on_conn_closed(uv_handle_t* h);
  static void on_handle_closed(uv_handle_t* h);
  static void on_pump(uv_timer_t* t);

  Result<void> start_listening(const char* what);
  void accept_one();
  bool peer_allowed(int fd);
  size_t deliver(Conn& c, const char* data, size_t len);
  bool may_read(const Conn& c) const;
  void update_reading(Conn& c);
  void pump(Conn& c);
  void finish_eof(Conn& c);
  void close_if_done(Conn& c);
  void close_conn(Conn& c);
  void schedule_pump();
  void handle_closed();

  uv_loop_t* loop_;
  Handler& handler_;
  size_t max_line_;
  obs::Logger log_;
  uv_pipe_t* listener_ = nullptr;
  uv_timer_t* pump_timer_ = nullptr;
  std::unordered_map<uint64_t, Conn*> conns_;
  std::vector<uint64_t> scratch_ids_;
  uint64_t next_id_ = 1;
  size_t open_handles_ = 0;  // initialised handles whose close callback has not run
  bool paused_ = false;
  bool closing_ = false;
  std::string path_;  // unlinked on close when we bound it
  std::vector<uint32_t> uids_, gids_;
  std::function<void()> done_;
  std::unique_ptr<char[]> readbuf_;  // shared: each read is consumed within its callback
};

}  // namespace pushgw::ingest
