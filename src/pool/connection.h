// One pooled connection: a net::Transport (TLS over TCP, or what
// PoolOptions::transport makes) under an h2::Codec
// (HTTP/2 or HTTP/1.1), plus the timers that police it.
//
// States: Connecting (TCP+TLS) -> Handshaken (waiting for the peer's SETTINGS)
// -> Ready -> Draining (GOAWAY either way / retired / idle: no new streams,
// closes when its streams are done) -> Closing -> Closed (handles released).
//
// One timer per connection covers the connect timeout, the request timeouts
// (OpenStreams: the head has the earliest deadline, so the timer is re-armed
// lazily), the PING keepalive (Liveness) and the idle close.
//
// The owner (the pool) is told about everything through ConnectionOwner.
// Calls that happen inside codec processing only record state; the owner
// does its work (assigning streams, writing, completing) when on_conn_event
// says the connection is at a clean point. The owner deletes a Connection
// only after on_conn_closed, and never inside a Connection callback.
#pragma once
#include <uv.h>

#include <algorithm>
#include <memory>
#include <string>

#include "h2/codec.h"
#include "loop/deferred_delete.h"
#include "loop/timer.h"
#include "net/transport.h"
#include "obs/log.h"
#include "pool/liveness.h"
#include "pool/open_streams.h"
#include "pool/pool.h"
#include "pool/slot.h"
#include "pushgw/clock.h"

namespace pushgw::pool {

class Connection;

class ConnectionOwner {
 public:
  virtual void on_conn_ready(Connection& c) = 0;                    // can take streams now
  virtual void on_conn_failed(Connection& c, TransportError e) = 0; // died before becoming ready
  virtual void on_conn_lost(Connection& c) = 0;                     // died or closed after being ready
  virtual void on_conn_goaway(Connection& c) = 0;                   // the peer sent GOAWAY
  virtual void on_conn_event(Connection& c) = 0;                    // clean point after I/O or a timer: pump
  virtual void on_conn_closed(Connection& c) = 0;                   // handles released: delete (deferred)
  virtual void on_slot_done(Slot& s, TransportError e) = 0;         // e == None: response in s.resp
  virtual void requeue(Slot& s) = 0;                                // never reached the peer
 protected:
  ~ConnectionOwner() = default;
};

class Connection final : public net::TransportHandler, public h2::CodecListener, public loop::Deletable {
 public:
  enum class State : uint8_t { Connecting, Handshaken, Ready, Draining, Closing, Closed };

  // The transport comes from opts.transport.
  Connection(uint32_t id, uv_loop_t* loop, const PoolOptions& opts, ConnectionOwner& owner, const Clock& clock,
             const obs::Logger& log, const obs::Logger& h2_log);
  ~Connection() override;
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  void connect(const sockaddr* addr);

  uint32_t id() const { return id_; }
  State state() const { return state_; }
  // Takes new streams: ready, accepting, and not waiting for a PING ACK.
  bool usable() const {
    return state_ == State::Ready && codec_ && codec_->accepting() && !liveness_.awaiting_ack();
  }
  uint32_t capacity() const { return usable() ? codec_->capacity() : 0; }
  uint32_t in_flight() const { return inflight_.size(); }
  // Since when (monotonic ms) this connection, ready, has allowed no stream
  // at all: the peer's MAX_CONCURRENT_STREAMS leaves no room and none is in
  // flight. 0 when it allows some (or is not ready). The pool asks.
  int64_t no_streams_since(int64_t now) {
    const bool none = state_ == State::Ready && usable() && inflight_.empty() && codec_->capacity() == 0;
    if (!none) no_streams_since_ = 0;
    else if (no_streams_since_ == 0) no_streams_since_ = now;
    return no_streams_since_;
  }

  // Hands a slot to the codec; false when it cannot take it (slot untouched).
  bool start(Slot& s, int64_t now_ms);
  // Writes pending codec output; closes the connection when it is done.
  void flush();
  // No new streams; GOAWAY; close once in-flight streams are done (retire, shutdown, idle).
  void drain(const char* why);
  // Close now: sent streams end ConnectionLost, unsent ones go back to the owner.
  void abort(const char* why);

  // net::TransportHandler
  void on_transport_ready(std::string_view alpn) override;
  void on_transport_data(const uint8_t* data, size_t len) override;
  void on_transport_read_done() override;
  void on_transport_error(net::NetError err, std::string_view detail) override;
  void on_transport_closed() override;

  // h2::CodecListener
  void on_stream_end(h2::Stream& s, h2::StreamEnd how) override;
  void on_goaway(int32_t last_stream_id, uint32_t error_code) override;
  void on_settings() override;
  void on_ping_ack() override;

 private:
  void fail_early(TransportError e, std::string_view why);
  // Closes now; sent streams end `sent` (unsent ones are requeued).
  void lose(std::string_view why, TransportError sent = TransportError::ConnectionLost);
  // Connect timeout; once ready: request timeouts, PING keepalive, idle close.
  void on_timer();
  void arm(int64_t now);

  uint32_t id_;
  const PoolOptions& opts_;
  ConnectionOwner& owner_;
  const Clock& clock_;
  obs::Logger log_, h2_log_;
  State state_ = State::Connecting;
  std::unique_ptr<net::Transport> transport_;
  std::unique_ptr<h2::Codec> codec_;
  OpenStreams inflight_;
  Liveness liveness_;
  loop::Timer timer_;
  int64_t connect_deadline_ = 0;
  int64_t last_active_ = 0;   // last time a stream started or ended (idle close)
  int64_t no_streams_since_ = 0;
  bool in_read_ = false;
};

// Counts toward max_connections: connecting, handshaking or ready.
inline bool live(const Connection& c) { return c.state() <= Connection::State::Ready; }

}  // namespace pushgw::pool
