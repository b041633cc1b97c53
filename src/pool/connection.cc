#include "pool/connection.h"

#include <algorithm>
#include <climits>

#include "h2/client_session.h"
#include "h2/http1_client.h"

namespace pushgw::pool {
namespace {

TransportError map_early(net::NetError e) {
  switch (e) {
    case net::NetError::TlsVerifyFailed: return TransportError::TlsVerifyFailed;
    case net::NetError::TlsHandshakeFailed: return TransportError::TlsHandshakeFailed;
    default: return TransportError::ConnectFailed;
  }
}

constexpr int64_t kNever = INT64_MAX;

}  // namespace

Connection::Connection(uint32_t id, uv_loop_t* loop, const PoolOptions& opts, ConnectionOwner& owner,
                       const Clock& clock, const obs::Logger& log, const obs::Logger& h2_log)
    : id_(id), opts_(opts), owner_(owner), clock_(clock), log_(log), h2_log_(h2_log), timer_(loop, [this] { on_timer(); }) {
  transport_ = opts.transport(loop, TransportSpec{opts.host, opts.port, opts.allow_http1, id}, *this, log);
}

Connection::~Connection() = default;

void Connection::connect(const sockaddr* addr) {
  int64_t now = now_ms();
  connect_deadline_ = now + opts_.connect_timeout_ms;
  last_recv_ = last_active_ = now;
  timer_.start(static_cast<uint64_t>(std::max(1, opts_.connect_timeout_ms)));
  transport_->connect(addr);
}

bool Connection::start(Slot& s, int64_t now) {
  if (!usable() || !codec_->submit(s)) return false;
  bool was_empty = inflight_.empty();
  s.deadline_ms = now + opts_.request_timeout_ms;
  s.conn_id = id_;
  s.timed_out = false;
  inflight_.push_back(&s);
  last_active_ = now;
  // Deadlines grow in start order, so only a first stream can need an
  // earlier wakeup (its timeout, or the PING of a silent busy connection).
  if (was_empty) {
    busy_since_ = now;
    arm(now);
  }
  return true;
}

void Connection::flush() {
  if (!codec_ || state_ >= State::Closing) return;
  if (!codec_->send(transport_->out())) {
    lose("HTTP/2 session error");
    return;
  }
  transport_->flush();
  if (state_ >= State::Closing) return;
  if (codec_->finished() || (state_ == State::Draining && inflight_.empty())) {
    if (!inflight_.empty()) {
      lose("session finished with streams open");
      return;
    }
    close_when_flushed();
  }
}

void Connection::drain(const char* why) {
  if (state_ == State::Connecting || state_ == State::Handshaken) {
    abort(why);
    return;
  }
  if (state_ != State::Ready && state_ != State::Draining) return;
  if (state_ == State::Ready) PGW_LOG(log_, Info, "conn %u: draining (%s), %u in flight", id_, why, inflight_.size());
  state_ = State::Draining;
  codec_->goaway();
}

void Connection::abort(const char* why) {
  if (state_ >= State::Closing) return;
  if (state_ < State::Ready) fail_early(TransportError::ConnectFailed, why);
  else lose(why);
}

// Graceful end: everything queued (our GOAWAY, if any) and a TLS close_notify
// are handed to the socket on a best-effort basis, then it closes.
void Connection::close_when_flushed() {
  state_ = State::Closing;
  codec_.reset();
  transport_->close();
  timer_.stop();
}

void Connection::fail_early(TransportError e, std::string_view why) {
  if (state_ >= State::Closing) return;
  PGW_LOG(log_, Warn, "conn %u: %s:%u not established: %.*s (%.*s)", id_, opts_.host.c_str(), opts_.port,
          static_cast<int>(why.size()), why.data(), static_cast<int>(to_string(e).size()), to_string(e).data());
  state_ = State::Closing;
  timer_.stop();
  codec_.reset();
  transport_->close();
  owner_.on_conn_failed(*this, e);
}

void Connection::lose(std::string_view why, TransportError sent) {
  if (state_ >= State::Closing) return;
  if (!inflight_.empty())
    PGW_LOG(log_, Warn, "conn %u: lost (%.*s) with %u streams open", id_, static_cast<int>(why.size()), why.data(),
            inflight_.size());
  else PGW_LOG(log_, Debug, "conn %u: closed (%.*s)", id_, static_cast<int>(why.size()), why.data());
  state_ = State::Closing;
  timer_.stop();
  codec_.reset();  // no more stream callbacks: the slots are accounted for below
  transport_->close();
  while (Slot* s = inflight_.pop_front()) {
    if (s->timed_out) owner_.on_slot_done(*s, TransportError::Timeout);
    else if (s->headers_sent) owner_.on_slot_done(*s, sent);
    else owner_.requeue(*s);
  }
  owner_.on_conn_lost(*this);
}

void Connection::on_transport_ready(std::string_view alpn) {
  if (state_ != State::Connecting) return;
  h2::CodecOptions co;
  co.max_response_body = opts_.max_response_body;
  co.max_response_header_bytes = opts_.max_response_header_bytes;
  co.max_response_headers = opts_.max_response_headers;
  co.max_streams = opts_.max_streams_per_connection;
  co.conn_id = id_;
  if (alpn == "h2") {
    auto s = std::make_unique<h2::ClientSession>(*this, co, h2_log_);
    if (auto r = s->init(); !r) {
      fail_early(TransportError::ConnectFailed, r.error().message);
      return;
    }
    codec_ = std::move(s);
  } else if (alpn == "http/1.1" && opts_.allow_http1) {
    codec_ = std::make_unique<h2::Http1Client>(*this, co, h2_log_);
  } else {
    std::string why = "server selected ALPN \"" + std::string(alpn) + "\"; need \"h2\"" +
                      (opts_.allow_http1 ? " or \"http/1.1\"" : "");
    fail_early(TransportError::TlsHandshakeFailed, why);
    return;
  }
  state_ = State::Handshaken;
  if (codec_->ready()) on_settings();  // HTTP/1.1 has nothing to wait for
  flush();                            // preface + SETTINGS
}

void Connection::on_transport_data(const uint8_t* data, size_t len) {
  if (!codec_ || state_ >= State::Closing) return;
  if (!in_read_) {
    in_read_ = true;
    last_recv_ = now_ms();
  }
  if (!codec_->recv(data, len)) lose("protocol error");
}

void Connection::on_transport_read_done() {
  in_read_ = false;
  if (state_ >= State::Closing) return;
  owner_.on_conn_event(*this);
}

void Connection::on_transport_error(net::NetError err, std::string_view detail) {
  if (state_ >= State::Closing) return;
  if (state_ < State::Ready) {
    fail_early(map_early(err), detail);
    return;
  }
  if (codec_) codec_->on_eof();  // may complete a close-delimited HTTP/1.1 response
  lose(detail);
}

void Connection::on_transport_closed() {
  state_ = State::Closed;
  timer_.close();
  owner_.on_conn_closed(*this);
}

void Connection::on_stream_end(h2::Stream& st, h2::StreamEnd how) {
  auto& s = static_cast<Slot&>(st);
  inflight_.remove(&s);
  last_active_ = last_recv_;
  // A stream we cancelled for its timeout ends Reset, and that is a Timeout.
  // What the peer said before our RST_STREAM went out wins over it: a
  // complete answer is the answer (resending it would duplicate a delivered
  // notification), a refusal proves it was never processed.
  if (s.timed_out && how == h2::StreamEnd::Reset) {
    owner_.on_slot_done(s, TransportError::Timeout);
    return;
  }
  switch (how) {
    case h2::StreamEnd::Complete: owner_.on_slot_done(s, TransportError::None); break;
    case h2::StreamEnd::Refused: owner_.on_slot_done(s, TransportError::RefusedStream); break;
    case h2::StreamEnd::Unprocessed: owner_.on_slot_done(s, TransportError::GoawayUnprocessed); break;
    case h2::StreamEnd::NotSent: owner_.requeue(s); break;
    case h2::StreamEnd::Reset: owner_.on_slot_done(s, TransportError::StreamReset); break;
    case h2::StreamEnd::TooLarge: owner_.on_slot_done(s, TransportError::ResponseTooLarge); break;
  }
}

void Connection::on_goaway(int32_t, uint32_t) {
  if (state_ == State::Ready || state_ == State::Handshaken) state_ = State::Draining;
  owner_.on_conn_goaway(*this);
}

void Connection::on_settings() {
  if (state_ != State::Handshaken) return;
  state_ = State::Ready;
  last_active_ = last_recv_ = now_ms();
  arm(last_active_);
  owner_.on_conn_ready(*this);
}

// The connection takes streams again; the owner assigns waiting ones after
// this read (on_conn_event).
void Connection::on_ping_ack() {
  ping_deadline_ = 0;
  ping_grace_ = false;
}

void Connection::on_timer() {
  if (state_ >= State::Closing) return;
  int64_t now = now_ms();
  if (state_ < State::Ready) {
    if (now >= connect_deadline_) fail_early(TransportError::ConnectFailed, "connect timeout");
    else timer_.start(static_cast<uint64_t>(connect_deadline_ - now));
    return;
  }
  police(now);
  if (state_ >= State::Closing) return;
  arm(now);
  owner_.on_conn_event(*this);  // sends the RST_STREAMs / PING queued above
}

// Request timeouts, PING keepalive, idle close.
void Connection::police(int64_t now) {
  for (Slot* s = inflight_.front(); s != nullptr && s->deadline_ms <= now;) {
    Slot* next = s->next;  // cancel() may end s (HTTP/1.1) and unlink it
    if (!s->timed_out) {
      s->timed_out = true;
      PGW_LOG(log_, Info, "conn %u: stream %d timed out after %d ms", id_, s->id, opts_.request_timeout_ms);
      codec_->cancel(*s);
    }
    s = next;
  }
  check_liveness(now);
  if (state_ >= State::Closing) return;
  if (state_ == State::Ready && inflight_.empty() && now - last_active_ >= opts_.idle_timeout_ms) drain("idle");
}

// PING a silent connection; a PING unanswered past its deadline (and one more
// pass of the loop's I/O: if this loop was blocked, a waiting ACK is read
// before the verdict) means the peer is gone. Its open streams may or may not
// have been processed (Stalled): the caller decides what to resend.
void Connection::check_liveness(int64_t now) {
  if (!codec_ || state_ >= State::Closing) return;
  if (ping_deadline_ != 0) {
    if (now < ping_deadline_) return;
    if (!ping_grace_) {
      ping_grace_ = true;  // arm() wakes again in 1 ms, after the poll phase
      return;
    }
    PGW_LOG(log_, Warn, "conn %u: no PING ACK within %d ms: connection stalled, %u streams to send again elsewhere",
            id_, opts_.ping_timeout_ms, inflight_.size());
    lose("PING timeout", TransportError::Stalled);
    return;
  }
  if (now - quiet_since() >= ping_after_ms() && codec_->ping()) {
    ping_deadline_ = now + opts_.ping_timeout_ms;
    ping_grace_ = false;
  }
}

void Connection::arm(int64_t now) {
  int64_t next = kNever;
  for (Slot* s = inflight_.front(); s != nullptr; s = s->next) {
    if (!s->timed_out) {
      next = s->deadline_ms;
      break;
    }
  }
  if (ping_deadline_ != 0) next = std::min(next, ping_deadline_);  // in the past during the grace: 1 ms
  else if (codec_ && codec_->protocol() == "h2") next = std::min(next, quiet_since() + ping_after_ms());
  if (inflight_.empty()) next = std::min(next, last_active_ + opts_.idle_timeout_ms);
  if (next == kNever) {
    timer_.stop();
    return;
  }
  timer_.start(static_cast<uint64_t>(std::max<int64_t>(1, next - now)));
}

}  // namespace pushgw::pool
