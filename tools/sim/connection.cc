#include "connection.h"

#include "worker.h"

namespace pushgw::sim {

namespace {
constexpr size_t kMaxQueuedOutput = 8 << 20;  // stop reading while the peer does not read
constexpr uint64_t kLingerMs = 2000;
constexpr uint64_t kSilentMs = 60000;  // a silent connection is closed after this (no leak in long runs)
}  // namespace

Connection::Connection(Worker& w, SSL_CTX* ctx) : w_(w), tls_(ctx) {
  uv_tcp_init(w_.loop(), &tcp_);
  uv_timer_init(w_.loop(), &timer_);
  tcp_.data = this;
  timer_.data = this;
  open_handles_ = 2;
  w_.add(this);
}

Connection::~Connection() { w_.remove(this); }

void Connection::start() {
  if (!tls_.valid()) {
    close_now();
    return;
  }
  uv_tcp_nodelay(&tcp_, 1);
  if (w_.core().faults.generation() != 0 && w_.core().faults.get().stop_reading) {
    // A peer that stops reading also keeps its receive buffer small (no
    // autotuning up to tcp_rmem's tens of MiB): the client's writes then
    // pile up on the client's side, as they would behind a hostile peer.
    int size = 64 * 1024;
    uv_recv_buffer_size(reinterpret_cast<uv_handle_t*>(&tcp_), &size);
  }
  reading_ = uv_read_start(reinterpret_cast<uv_stream_t*>(&tcp_), on_alloc, on_read) == 0;
  if (!reading_) close_now();
}

void Connection::close_now() {
  if (state_ == State::kClosing) return;
  state_ = State::kClosing;
  uv_close(reinterpret_cast<uv_handle_t*>(&tcp_), on_close);
  uv_close(reinterpret_cast<uv_handle_t*>(&timer_), on_close);
}

void Connection::on_close(uv_handle_t* h) {
  auto* self = static_cast<Connection*>(h->data);
  if (--self->open_handles_ == 0) delete self;
}

Disposition Connection::on_request(const SimRequest& req, SimResponse& resp) {
  return route(w_.core(), w_.ctx(), req, resp);
}

void Connection::on_alloc(uv_handle_t* h, size_t, uv_buf_t* buf) {
  auto* self = static_cast<Connection*>(h->data);
  // One buffer per worker: every read is fully consumed before the next.
  *buf = uv_buf_init(self->w_.read_buffer(), Worker::kReadBufferSize);
}

void Connection::on_read(uv_stream_t* s, ssize_t nread, const uv_buf_t* buf) {
  auto* self = static_cast<Connection*>(s->data);
  if (nread == 0 || self->state_ == State::kClosing) return;
  if (nread < 0) {
    self->close_now();
    return;
  }
  if (self->state_ == State::kLinger) return;  // draining: input is discarded
  self->handle_ciphertext(buf->base, static_cast<size_t>(nread));
}

void Connection::handle_ciphertext(const char* data, size_t n) {
  Stats& stats = w_.core().stats;
  tls_.put_ciphertext(data, n);
  if (!tls_.established()) {
    switch (tls_.handshake()) {
      case TlsConn::Step::kMore: flush(); return;
      case TlsConn::Step::kFailed:
        bump(stats.tls_failures);
        linger(false);  // still send the alert
        return;
      case TlsConn::Step::kDone:
        bump(stats.tls_handshakes);
        h2_ = std::make_unique<H2Conn>(*this, stats, w_.core().faults, w_.core().clock, w_.h2_options());
        if (!h2_->init()) {
          close_now();
          return;
        }
        break;
    }
  }
  if (!pump_plaintext()) {
    if (h2_->stall_requested()) go_silent();
    else linger(!h2_->drop_requested());
    return;
  }
  flush();
  if (state_ != State::kOpen) return;
  maybe_stop_reading();
  arm_timer();
  if (h2_->finished()) linger(true);
}

// The stop_reading fault: the server's SETTINGS went out with the flush
// before; from now on the client's bytes stay in the socket buffers.
void Connection::maybe_stop_reading() {
  if (stopped_reading_ || !h2_ || !h2_->stop_reading_requested()) return;
  stopped_reading_ = true;
  if (reading_) uv_read_stop(reinterpret_cast<uv_stream_t*>(&tcp_));
  reading_ = false;
}

// Decrypts everything buffered and feeds HTTP/2. False: stop this connection.
bool Connection::pump_plaintext() {
  for (;;) {
    int n = tls_.read(w_.plain_buffer(), static_cast<int>(Worker::kPlainBufferSize));
    if (n == 0) return true;
    if (n < 0) return false;
    if (!h2_->feed(reinterpret_cast<const uint8_t*>(w_.plain_buffer()), static_cast<size_t>(n))) return false;
  }
}

void Connection::flush() {
  if (state_ == State::kClosing) return;
  if (h2_) {
    plain_out_.clear();
    if (!h2_->produce(plain_out_)) {
      close_now();
      return;
    }
    if (!plain_out_.empty() && !tls_.write(plain_out_)) {
      close_now();
      return;
    }
  }
  tls_.take_ciphertext(out_);
  start_write();
}

void Connection::start_write() {
  if (writing_ || out_.empty() || state_ == State::kClosing) return;
  // Most writes fit the socket buffer: try the cheap path first.
  uv_buf_t b = uv_buf_init(out_.data(), static_cast<unsigned>(out_.size()));
  int n = uv_try_write(reinterpret_cast<uv_stream_t*>(&tcp_), &b, 1);
  if (n == static_cast<int>(out_.size())) {
    out_.clear();
    maybe_half_close();
    return;
  }
  if (n < 0 && n != UV_EAGAIN) {
    close_now();
    return;
  }
  inflight_.assign(out_, n > 0 ? static_cast<size_t>(n) : 0);
  out_.clear();
  b = uv_buf_init(inflight_.data(), static_cast<unsigned>(inflight_.size()));
  writing_ = true;
  wreq_.data = this;
  if (uv_write(&wreq_, reinterpret_cast<uv_stream_t*>(&tcp_), &b, 1, on_write) != 0) {
    writing_ = false;
    close_now();
    return;
  }
  if (reading_ && inflight_.size() > kMaxQueuedOutput) {
    uv_read_stop(reinterpret_cast<uv_stream_t*>(&tcp_));
    reading_ = false;
  }
}

void Connection::on_write(uv_write_t* req, int status) {
  auto* self = static_cast<Connection*>(req->data);
  self->writing_ = false;
  self->inflight_.clear();
  if (self->state_ == State::kClosing) return;
  if (status < 0) {
    self->close_now();
    return;
  }
  if (!self->reading_ && self->state_ == State::kOpen && !self->stopped_reading_) {
    self->reading_ = uv_read_start(reinterpret_cast<uv_stream_t*>(&self->tcp_), on_alloc, on_read) == 0;
  }
  if (self->state_ == State::kOpen) {
    self->flush();  // flow control may have released more body data
    if (self->state_ == State::kOpen && self->h2_ && self->h2_->finished()) self->linger(true);
  } else {
    self->start_write();
  }
  self->maybe_half_close();
}

void Connection::arm_timer() {
  if (!h2_ || uv_is_active(reinterpret_cast<uv_handle_t*>(&timer_))) return;
  int64_t deadline = h2_->next_deadline_ns();
  if (deadline < 0) return;
  int64_t wait_ns = deadline - w_.core().clock.mono_ns();
  uint64_t wait_ms = wait_ns <= 0 ? 0 : static_cast<uint64_t>((wait_ns + 999'999) / 1'000'000);
  uv_timer_start(&timer_, on_timer, wait_ms, 0);
}

void Connection::on_timer(uv_timer_t* t) {
  auto* self = static_cast<Connection*>(t->data);
  if (self->state_ == State::kLinger || self->state_ == State::kSilent) {  // the peer never closed its side
    self->close_now();
    return;
  }
  if (self->state_ != State::kOpen || !self->h2_) return;
  self->h2_->fire_due(self->w_.core().clock.mono_ns());
  self->flush();
  if (self->state_ != State::kOpen) return;
  // The last delayed answer may complete a GOAWAY'd connection.
  if (self->h2_->finished()) self->linger(true);
  else self->arm_timer();
}

void Connection::linger(bool close_notify) {
  if (state_ != State::kOpen) return;
  if (h2_) {  // whatever was produced before the stop (responses, GOAWAY) still goes out
    plain_out_.clear();
    if (h2_->produce(plain_out_) && !plain_out_.empty()) tls_.write(plain_out_);
  }
  if (close_notify) tls_.shutdown();
  tls_.take_ciphertext(out_);
  state_ = State::kLinger;
  uv_timer_stop(&timer_);
  start_write();
  maybe_half_close();
}

void Connection::go_silent() {
  if (state_ != State::kOpen) return;
  if (h2_) {  // the answers produced before the stall still go out, nothing after
    plain_out_.clear();
    if (h2_->produce(plain_out_) && !plain_out_.empty()) tls_.write(plain_out_);
  }
  tls_.take_ciphertext(out_);
  state_ = State::kSilent;
  if (reading_) uv_read_stop(reinterpret_cast<uv_stream_t*>(&tcp_));
  reading_ = false;
  uv_timer_stop(&timer_);
  uv_timer_start(&timer_, on_timer, kSilentMs, 0);
  start_write();
}

void Connection::maybe_half_close() {
  if (state_ != State::kLinger || writing_ || !out_.empty() || half_closed_) return;
  half_closed_ = true;
  sreq_.data = this;
  if (uv_shutdown(&sreq_, reinterpret_cast<uv_stream_t*>(&tcp_), on_shutdown) != 0) {
    close_now();
    return;
  }
  if (!reading_)
    reading_ = uv_read_start(reinterpret_cast<uv_stream_t*>(&tcp_), on_alloc, on_read) == 0;
  uv_timer_start(&timer_, on_timer, kLingerMs, 0);
}

void Connection::on_shutdown(uv_shutdown_t* req, int status) {
  auto* self = static_cast<Connection*>(req->data);
  if (status < 0 && self->state_ != State::kClosing) self->close_now();
}

}  // namespace pushgw::sim
