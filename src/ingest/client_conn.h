// One client of the request socket (internal to ingest::Server): framing,
// the stash of read-but-blocked bytes, per-connection output accounting and
// the half-close rule. See server.h for the behaviour clients see.
//
// Lifetime: the Server owns it. A connection that closes (read error, write
// error, end of its requests, server close) tells the Server through
// Env::retire, which takes it out of the table and deletes it on a later
// loop turn, so the connection's own code may still run after close().
#pragma once
#include <uv.h>

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "ingest/line_framer.h"
#include "loop/deferred_delete.h"
#include "loop/stream.h"
#include "obs/log.h"

namespace pushgw::ingest {

class ClientConn final : public loop::Deletable {
 public:
  // Callbacks into whoever serves the lines (Server::Handler's subset).
  struct Lines {
    virtual ~Lines() = default;
    virtual void on_line(uint64_t conn_id, std::string_view line) = 0;
    virtual void on_too_long(uint64_t conn_id) = 0;
    // Asked for each line read while the server is paused (queue full): true
    // holds the line, and the connection reads nothing more, until resumed.
    // A line that needs no queue room (a `stats` query) returns false and is
    // handed to on_line at once, so monitoring keeps working under back-pressure.
    virtual bool holds_while_paused(uint64_t /*conn_id*/, std::string_view /*line*/) { return true; }
  };
  // What the Server shares with all its connections.
  struct Env {
    Lines& lines;
    obs::Logger& log;
    char* readbuf;  // shared: each read is consumed within its callback
    size_t readbuf_len;
    size_t max_pending_output;
    uint64_t max_outstanding;                    // requests read and not yet answered
    const bool& paused;                          // global back-pressure: lines that need room wait
    std::function<void(ClientConn&)> retire;     // this connection closed itself
    std::function<void()> schedule_pump;         // pump() every connection soon
  };

  ClientConn(Env& env, uv_loop_t* loop, uint64_t id, size_t max_line);

  uint64_t id() const { return id_; }
  loop::PipeStream& stream() { return stream_; }
  bool closing() const { return closing_; }
  // SO_PEERCRED uid, read on admission.
  std::optional<uint32_t> peer_uid() const { return peer_uid_; }
  void set_peer_uid(std::optional<uint32_t> uid) { peer_uid_ = uid; }
  // True when the connection made no progress for timeout_ms although it
  // could have: nothing was read while it owed nothing, or its answers were
  // not read. Waiting for the daemon's own answers is not idle.
  bool idle_for(uint64_t now_ms, uint64_t timeout_ms) const;

  // Reads while the connection may (no line held for room, not flooded with
  // output, no stash to hand out first, no EOF); called on admission and on pause.
  void update_reading();
  // Queues line + '\n'. A write error closes the connection on the next pump,
  // not inside this call (the handler is the caller).
  void respond(std::string line);
  // Hands out what a blocked connection holds once it may read again; closes
  // a connection that failed or has answered everything after its EOF.
  void pump();
  // Closes the stream (unsent responses are dropped) and retires.
  void close();

 private:
  void on_data(const char* data, size_t len);
  void on_end(int status);
  void on_written(size_t bytes, int status);
  size_t deliver(const char* data, size_t len);
  bool hand_out(std::string_view line);
  void deliver_held();
  bool may_read() const;
  void finish_eof();
  void close_if_done();

  void touch();

  Env& env_;
  uv_loop_t* loop_;
  loop::PipeStream stream_;
  uint64_t id_;
  LineFramer framer_;
  std::string stash_;         // read but not yet framed: reading was blocked mid-chunk
  std::string held_;          // a framed line that waits for the server to resume (queue room)
  size_t out_bytes_ = 0;      // queued responses not yet written
  uint64_t outstanding_ = 0;  // delivered lines still owed a response
  std::optional<uint32_t> peer_uid_;
  uint64_t last_active_ms_ = 0;  // uv_now of the last read, answer or completed write
  bool out_blocked_ = false;  // slow reader: too much unwritten output
  bool eof_ = false;          // the peer shut down its write side
  bool eof_flushed_ = false;  // the final unterminated line was delivered
  bool failed_ = false;       // a write failed: close at the next pump
  bool closing_ = false;
};

}  // namespace pushgw::ingest
