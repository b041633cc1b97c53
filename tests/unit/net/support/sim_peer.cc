#include "sim_peer.h"

#include <stdexcept>

#include "loop/deferred_delete.h"
#include "loop/timer.h"

namespace pushgw::testing {

sim::Disposition ScriptedSink::on_request(const sim::SimRequest& req, sim::SimResponse& resp) {
  last_method = req.method;
  last_path = req.path;
  last_authority = req.authority;
  last_body = req.body;
  last_headers.clear();
  for (size_t i = 0; i < req.headers.size(); ++i) last_headers[req.headers[i].name] = req.headers[i].value;
  if (never_respond) return sim::Disposition::kNever;
  resp.status = status;
  resp.body = body;
  for (const auto& [n, v] : headers) resp.headers.add(n, v);
  ++responses;
  return delay ? sim::Disposition::kDelay : sim::Disposition::kNow;
}

// One accepted connection: ciphertext in through sim::TlsConn, plaintext to
// the app, the app's output encrypted and written back.
class SimPeer::Conn final : public loop::Deletable {
 public:
  Conn(SimPeer& peer, uv_loop_t* loop)
      : peer_(peer), tcp_(loop), tls_(peer.ctx_.get()), delay_timer_(loop, [this] { fire_delayed(); }) {}

  loop::TcpStream& stream() { return tcp_; }

  void start() {
    if (!tls_.valid() || tcp_.read_start(rbuf_, sizeof rbuf_, [this](const char* p, size_t n) { on_cipher(p, n); },
                                         [this](int) { close(); }) != 0)
      close();
  }
  void stall() { tcp_.read_stop(); }

  void close() {
    if (closing_) return;
    closing_ = true;
    tcp_.close();
    delay_timer_.close();
    peer_.retire(*this);
  }

 private:
  void on_cipher(const char* data, size_t n) {
    tls_.put_ciphertext(data, n);
    if (!tls_.established()) {
      const sim::TlsConn::Step step = tls_.handshake();
      if (step == sim::TlsConn::Step::kFailed) return close();
      if (step == sim::TlsConn::Step::kMore) return flush();
      if (!start_app()) return close();
    }
    for (;;) {
      const int got = tls_.read(plain_, sizeof plain_);
      if (got < 0) return close();
      if (got == 0) break;
      if (!feed(reinterpret_cast<const uint8_t*>(plain_), static_cast<size_t>(got))) return close();
      if (closing_) return;
    }
    flush();
  }

  bool start_app() {
    if (peer_.opts_.app == PeerOptions::App::Echo) return true;
    if (tls_.alpn() == "h2") {
      h2_ = std::make_unique<sim::H2Conn>(peer_.sink, peer_.stats, peer_.board_, peer_.clock_, peer_.opts_.h2);
      return h2_->init();
    }
    h1_ = std::make_unique<sim::H1Conn>(peer_.sink, peer_.stats, peer_.opts_.h1);
    return true;
  }

  bool feed(const uint8_t* p, size_t n) {
    if (h2_) return h2_->feed(p, n);
    if (h1_) return h1_->feed(p, n);
    echo_.append(reinterpret_cast<const char*>(p), n);
    return true;
  }

  // The app's output, encrypted, then the ciphertext to the socket.
  void flush() {
    bool done = false;
    if (h2_) {
      if (!h2_->produce(echo_)) return close();
      done = h2_->finished();
      arm_delay_timer();
    } else if (h1_) {
      h1_->produce(echo_);
      done = h1_->finished();
    }
    if (!echo_.empty() && !tls_.write(echo_)) return close();
    echo_.clear();
    tls_.take_ciphertext(cipher_);
    if (!cipher_.empty() && tcp_.write(cipher_) != 0) return close();
    if (done) close();  // what was written still goes out: libuv writes before closing
  }

  void arm_delay_timer() {
    const int64_t due = h2_->next_deadline_ns();
    if (due < 0 || delay_timer_.active()) return;
    const int64_t wait_ns = due - peer_.clock_.mono_ns();
    delay_timer_.start(wait_ns > 0 ? static_cast<uint64_t>(wait_ns / 1'000'000 + 1) : 0);
  }

  void fire_delayed() {
    if (!h2_) return;
    h2_->fire_due(peer_.clock_.mono_ns());
    flush();
  }

  SimPeer& peer_;
  loop::TcpStream tcp_;
  sim::TlsConn tls_;
  loop::Timer delay_timer_;
  std::unique_ptr<sim::H2Conn> h2_;
  std::unique_ptr<sim::H1Conn> h1_;
  std::string echo_;    // plaintext on its way out (the app's output, or the echo)
  std::string cipher_;  // swapped into the stream's writes
  bool closing_ = false;
  char rbuf_[64 * 1024];
  char plain_[16 * 1024];
};

SimPeer::SimPeer(uv_loop_t* loop, PeerOptions opts, ScriptedSink& s) : sink(s), loop_(loop), opts_(std::move(opts)) {
  auto ctx = sim::make_server_ctx_pem(opts_.cert_pem, opts_.key_pem, opts_.alpn);
  if (!ctx.ok()) throw std::runtime_error("sim peer TLS: " + ctx.error().message);
  ctx_ = std::move(ctx.value());
  listener_ = std::make_unique<loop::TcpStream>(loop_);
  sockaddr_in a{};
  uv_ip4_addr("127.0.0.1", 0, &a);
  if (uv_tcp_bind(listener_->handle(), reinterpret_cast<const sockaddr*>(&a), 0) != 0 ||
      listener_->listen(128, [this](int status) {
        if (status == 0) on_connection();
      }) != 0)
    throw std::runtime_error("sim peer: cannot listen on 127.0.0.1");
  sockaddr_storage ss{};
  int len = sizeof ss;
  uv_tcp_getsockname(listener_->handle(), reinterpret_cast<sockaddr*>(&ss), &len);
  port_ = ntohs(reinterpret_cast<sockaddr_in*>(&ss)->sin_port);
}

SimPeer::~SimPeer() { close(); }

void SimPeer::on_connection() {
  auto c = std::make_unique<Conn>(*this, loop_);
  if (listener_->accept(c->stream()) != 0) return;
  ++accepted_;
  Conn& ref = *c;
  conns_.emplace(&ref, std::move(c));
  if (stalled_) return;  // accepted, never read: not even the ClientHello
  ref.start();
}

void SimPeer::retire(Conn& c) {
  auto it = conns_.find(&c);
  if (it == conns_.end()) return;
  loop::delete_later(loop_, std::move(it->second));  // its own code may be on the stack
  conns_.erase(it);
}

void SimPeer::stall() {
  stalled_ = true;
  for (auto& [key, c] : conns_) c->stall();
}

void SimPeer::close() {
  listener_.reset();
  std::vector<Conn*> open;
  for (auto& [key, c] : conns_) open.push_back(c.get());
  for (Conn* c : open) c->close();
}

}  // namespace pushgw::testing
