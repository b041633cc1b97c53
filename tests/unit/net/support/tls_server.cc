#include "tls_server.h"

#include <openssl/err.h>
#include <openssl/pem.h>

#include <algorithm>
#include <cstring>
#include <stdexcept>

namespace pushgw::testing {

struct ServerConn::Impl {
  TlsServer* server;
  uv_tcp_t tcp{};
  SSL* ssl = nullptr;
  BIO* rbio = nullptr;  // network -> SSL
  BIO* wbio = nullptr;  // SSL -> network
  bool handshaken = false;
  bool closing = false;
  ServerConn facade{this};
  std::unique_ptr<ServerApp> app;
  char buf[65536];

  void send_cipher() {
    char tmp[16384];
    std::string out;
    int n;
    while ((n = BIO_read(wbio, tmp, sizeof tmp)) > 0) out.append(tmp, static_cast<size_t>(n));
    if (out.empty() || closing) return;
    struct W {
      uv_write_t req;
      std::string data;
    };
    auto* w = new W{};
    w->data = std::move(out);
    uv_buf_t b = uv_buf_init(w->data.data(), static_cast<unsigned>(w->data.size()));
    if (uv_write(&w->req, reinterpret_cast<uv_stream_t*>(&tcp), &b, 1,
                 [](uv_write_t* r, int) { delete reinterpret_cast<W*>(r); }) != 0)
      delete w;
  }

  void on_read(ssize_t n) {
    if (n < 0) {
      close();
      return;
    }
    BIO_write(rbio, buf, static_cast<int>(n));
    if (!handshaken) {
      int r = SSL_do_handshake(ssl);
      send_cipher();
      if (r != 1) {
        int e = SSL_get_error(ssl, r);
        if (e != SSL_ERROR_WANT_READ) close();
        return;
      }
      handshaken = true;
      if (server->opts_.make_app) app = server->opts_.make_app(facade);
    }
    char plain[16384];
    for (;;) {
      int r = SSL_read(ssl, plain, sizeof plain);
      if (r <= 0) {
        int e = SSL_get_error(ssl, r);
        send_cipher();
        if (e != SSL_ERROR_WANT_READ) close();
        return;
      }
      if (app) app->on_data(reinterpret_cast<const uint8_t*>(plain), static_cast<size_t>(r));
      if (closing) return;
    }
  }

  void close() {
    if (closing) return;
    closing = true;
    uv_close(reinterpret_cast<uv_handle_t*>(&tcp), [](uv_handle_t* h) {
      auto* self = static_cast<Impl*>(h->data);
      if (self->server != nullptr) self->server->forget(self);
      self->app.reset();
      SSL_free(self->ssl);
      delete self;
    });
  }
};

void ServerConn::write(const std::string& plain) {
  if (impl_->closing || plain.empty()) return;
  SSL_write(impl_->ssl, plain.data(), static_cast<int>(plain.size()));
  impl_->send_cipher();
}

void ServerConn::close() { impl_->close(); }

std::string ServerConn::alpn() const {
  const unsigned char* p = nullptr;
  unsigned len = 0;
  SSL_get0_alpn_selected(impl_->ssl, &p, &len);
  return std::string(reinterpret_cast<const char*>(p), p ? len : 0);
}

uv_loop_t* ServerConn::loop() const { return impl_->tcp.loop; }

TlsServer::TlsServer(uv_loop_t* loop, TlsServerOptions opts) : loop_(loop), opts_(std::move(opts)) {
  ctx_ = SSL_CTX_new(TLS_server_method());
  BIO* kb = BIO_new_mem_buf(opts_.key_pem.data(), static_cast<int>(opts_.key_pem.size()));
  EVP_PKEY* key = PEM_read_bio_PrivateKey(kb, nullptr, nullptr, nullptr);
  BIO_free(kb);
  BIO* cb = BIO_new_mem_buf(opts_.cert_pem.data(), static_cast<int>(opts_.cert_pem.size()));
  X509* cert = PEM_read_bio_X509(cb, nullptr, nullptr, nullptr);
  BIO_free(cb);
  if (key == nullptr || cert == nullptr || SSL_CTX_use_certificate(ctx_, cert) != 1 ||
      SSL_CTX_use_PrivateKey(ctx_, key) != 1)
    throw std::runtime_error("test server: bad key/cert");
  X509_free(cert);
  EVP_PKEY_free(key);
  for (const auto& p : opts_.alpn) {
    alpn_wire_.push_back(static_cast<unsigned char>(p.size()));
    alpn_wire_.insert(alpn_wire_.end(), p.begin(), p.end());
  }
  if (!alpn_wire_.empty()) {
    SSL_CTX_set_alpn_select_cb(
        ctx_,
        [](SSL*, const unsigned char** out, unsigned char* outlen, const unsigned char* in, unsigned inlen,
           void* arg) -> int {
          auto* self = static_cast<TlsServer*>(arg);
          unsigned char* o = nullptr;
          if (SSL_select_next_proto(&o, outlen, self->alpn_wire_.data(), static_cast<unsigned>(self->alpn_wire_.size()),
                                    in, inlen) != OPENSSL_NPN_NEGOTIATED)
            return SSL_TLSEXT_ERR_ALERT_FATAL;
          *out = o;
          return SSL_TLSEXT_ERR_OK;
        },
        this);
  }
  listener_ = new uv_tcp_t{};
  listener_->data = this;
  uv_tcp_init(loop_, listener_);
  sockaddr_in addr{};
  uv_ip4_addr("127.0.0.1", 0, &addr);
  uv_tcp_bind(listener_, reinterpret_cast<const sockaddr*>(&addr), 0);
  if (uv_listen(reinterpret_cast<uv_stream_t*>(listener_), 128, [](uv_stream_t* s, int status) {
        if (status == 0) static_cast<TlsServer*>(s->data)->on_accept();
      }) != 0)
    throw std::runtime_error("test server: listen failed");
  sockaddr_storage ss{};
  int len = sizeof ss;
  uv_tcp_getsockname(listener_, reinterpret_cast<sockaddr*>(&ss), &len);
  port_ = ntohs(reinterpret_cast<sockaddr_in*>(&ss)->sin_port);
}

TlsServer::~TlsServer() {
  close();
  SSL_CTX_free(ctx_);
}

void TlsServer::on_accept() {
  auto* c = new ServerConn::Impl();
  c->server = this;
  c->tcp.data = c;
  uv_tcp_init(loop_, &c->tcp);
  if (uv_accept(reinterpret_cast<uv_stream_t*>(listener_), reinterpret_cast<uv_stream_t*>(&c->tcp)) != 0) {
    c->server = nullptr;
    c->close();
    return;
  }
  ++accepted_;
  c->ssl = SSL_new(ctx_);
  c->rbio = BIO_new(BIO_s_mem());
  c->wbio = BIO_new(BIO_s_mem());
  SSL_set_bio(c->ssl, c->rbio, c->wbio);
  SSL_set_accept_state(c->ssl);
  conns_.push_back(c);
  if (stalled_) return;
  uv_read_start(
      reinterpret_cast<uv_stream_t*>(&c->tcp),
      [](uv_handle_t* h, size_t, uv_buf_t* b) {
        auto* self = static_cast<ServerConn::Impl*>(h->data);
        *b = uv_buf_init(self->buf, sizeof self->buf);
      },
      [](uv_stream_t* s, ssize_t n, const uv_buf_t*) {
        if (n == 0) return;
        static_cast<ServerConn::Impl*>(s->data)->on_read(n);
      });
}

void TlsServer::forget(ServerConn::Impl* c) { conns_.remove(c); }

void TlsServer::stall() {
  stalled_ = true;
  for (auto* c : conns_)
    if (!c->closing) uv_read_stop(reinterpret_cast<uv_stream_t*>(&c->tcp));
}

void TlsServer::close() {
  if (listener_ != nullptr) {
    uv_close(reinterpret_cast<uv_handle_t*>(listener_), [](uv_handle_t* h) { delete reinterpret_cast<uv_tcp_t*>(h); });
    listener_ = nullptr;
  }
  for (auto* c : std::list<ServerConn::Impl*>(conns_)) {
    c->server = nullptr;
    c->close();
  }
  conns_.clear();
}

}  // namespace pushgw::testing
