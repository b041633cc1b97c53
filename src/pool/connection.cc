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

int64_t now_ms(const Clock& clock) { return clock.mono_ns() / 1'000'000; }

// The codec for the protocol the server selected (ALPN), or why it will not
// do: the error's code is a TransportError's name.
Result<std::unique_ptr<h2::Codec>> make_codec(std::string_view alpn, const PoolOptions& opts, uint32_t id,
                                              h2::CodecListener& listener, const obs::Logger& log) {
  h2::CodecOptions co;
  co.max_response_body = opts.max_response_body;
  co.max_response_header_bytes = opts.max_response_header_bytes;
  co.max_response_headers = opts.max_response_headers;
  co.max_streams = opts.max_streams_per_connection;
  co.conn_id = id;
  if (alpn == "h2") {
    auto s = std::make_unique<h2::ClientSession>(listener, co, log);
    if (auto r = s->init(); !r) return Error{std::string(to_string(TransportError::ConnectFailed)), r.error().message};
    return std::unique_ptr<h2::Codec>(std::move(s));
  }
  if (alpn == "http/1.1" && opts.allow_http1)
    return std::unique_ptr<h2::Codec>(std::make_unique<h2::Http1Client>(listener, co, log));
  return Error{std::string(to_string(TransportError::TlsHandshakeFailed)),
               "server selected ALPN \"" + std::string(alpn) + "\"; need \"h2\"" +
                   (opts.allow_http1 ? " or \"http/1.1\"" : "")};
}

}  // namespace

Connection::Connection(uint32_t id, uv_loop_t* loop, const PoolOptions& opts, ConnectionOwner& owner,
                       const Clock& clock, const obs::Logger& log, const obs::Logger& h2_log)
    : id_(id),
      opts_(opts),
      owner_(owner),
      clock_(clock),
      log_(log),
      h2_log_(h2_log),
      liveness_(opts),
      timer_(loop, [this] { on_timer(); }) {
  transport_ = opts.transport(loop, TransportSpec{opts.host, opts.port, opts.allow_http1, id}, *this, log);
}

Connection::~Connection() = default;

void Connection::connect(const sockaddr* addr) {
  int64_t now = now_ms(clock_);
  connect_deadline_ = now + opts_.connect_timeout_ms;
  last_active_ = now;
  liveness_.heard(now);
  timer_.start(static_cast<uint64_t>(std::max(1, opts_.connect_timeout_ms)));
  transport_->connect(addr);
}

bool Connection::start(Slot& s, int64_t now) {
  if (!usable() || !codec_->submit(s)) return false;
  last_active_ = now;
  // Deadlines grow in start order, so only a first stream can need an
  // earlier wakeup (its timeout, or the PING of a silent busy connection).
  if (inflight_.add(s, now + opts_.request_timeout_ms, id_)) {
    liveness_.busy_from(now);
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
    // Graceful end: everything queued (our GOAWAY, if any) and a TLS
    // close_notify are handed to the socket on a best-effort basis, then it closes.
    state_ = State::Closing;
    codec_.reset();
    transport_->close();
    timer_.stop();
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
  auto codec = make_codec(alpn, opts_, id_, *this, h2_log_);
  if (!codec.ok()) {
    const bool tls = codec.error().code == to_string(TransportError::TlsHandshakeFailed);
    fail_early(tls ? TransportError::TlsHandshakeFailed : TransportError::ConnectFailed, codec.error().message);
    return;
  }
  codec_ = std::move(codec).value();
  state_ = State::Handshaken;
  if (codec_->ready()) on_settings();  // HTTP/1.1 has nothing to wait for
  flush();                            // preface + SETTINGS
}

void Connection::on_transport_data(const uint8_t* data, size_t len) {
  if (!codec_ || state_ >= State::Closing) return;
  if (!in_read_) {
    in_read_ = true;
    liveness_.heard(now_ms(clock_));
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
  inflight_.remove(s);
  last_active_ = liveness_.last_heard();
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
  last_active_ = now_ms(clock_);
  liveness_.heard(last_active_);
  arm(last_active_);
  owner_.on_conn_ready(*this);
}

// The connection takes streams again; the owner assigns waiting ones after
// this read (on_conn_event).
void Connection::on_ping_ack() { liveness_.on_ack(); }

void Connection::on_timer() {
  if (state_ >= State::Closing) return;
  int64_t now = now_ms(clock_);
  if (state_ < State::Ready) {
    if (now >= connect_deadline_) fail_early(TransportError::ConnectFailed, "connect timeout");
    else timer_.start(static_cast<uint64_t>(connect_deadline_ - now));
    return;
  }
  inflight_.expire(now, [&](Slot& s) {
    PGW_LOG(log_, Info, "conn %u: stream %d timed out after %d ms", id_, s.id, opts_.request_timeout_ms);
    codec_->cancel(s);
  });
  // A stalled peer: its open streams may or may not have been processed
  // (Stalled), the owner decides what to send again.
  if (codec_ && state_ < State::Closing &&
      !liveness_.check(now, !inflight_.empty(), [this] { return codec_->ping(); })) {
    PGW_LOG(log_, Warn, "conn %u: no PING ACK within %d ms: connection stalled, %u streams to send again elsewhere",
            id_, opts_.ping_timeout_ms, inflight_.size());
    return lose("PING timeout", TransportError::Stalled);
  }
  if (state_ == State::Ready && inflight_.empty() && now - last_active_ >= opts_.idle_timeout_ms) drain("idle");
  if (state_ >= State::Closing) return;
  arm(now);
  owner_.on_conn_event(*this);  // sends the RST_STREAMs / PING queued above
}

void Connection::arm(int64_t now) {
  const bool pings = codec_ && codec_->protocol() == "h2";
  // During the PING grace its deadline is in the past: 1 ms.
  int64_t next = std::min(inflight_.next_deadline(), liveness_.next_due(!inflight_.empty(), pings));
  if (inflight_.empty()) next = std::min(next, last_active_ + opts_.idle_timeout_ms);
  if (next == kNever) {
    timer_.stop();
    return;
  }
  timer_.start(static_cast<uint64_t>(std::max<int64_t>(1, next - now)));
}

}  // namespace pushgw::pool
