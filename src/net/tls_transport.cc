#include "net/tls_transport.h"

#include <openssl/err.h>
#include <openssl/x509v3.h>

#include <cstring>
#include <functional>
#include <string>
#include <thread>

#include "crypto/openssl_errors.h"
#include "net/address.h"

namespace pushgw::net {

std::string_view to_string(NetError e) {
  switch (e) {
    case NetError::None: return "none";
    case NetError::ConnectFailed: return "connect_failed";
    case NetError::TlsHandshakeFailed: return "tls_handshake_failed";
    case NetError::TlsVerifyFailed: return "tls_verify_failed";
    case NetError::Closed: return "closed";
    case NetError::IoError: return "io_error";
  }
  return "?";
}

namespace {

constexpr size_t kReadBufSize = 64 * 1024;
constexpr size_t kMaxRecordPlain = 16 * 1024;  // one TLS record per SSL_write chunk
constexpr unsigned char kAlpnH2[] = {2, 'h', '2'};
constexpr unsigned char kAlpnH2H1[] = {2, 'h', '2', 8, 'h', 't', 't', 'p', '/', '1', '.', '1'};

int bio_read(BIO* b, char* buf, int len) {
  auto* io = static_cast<TlsTransport::BioIo*>(BIO_get_data(b));
  BIO_clear_retry_flags(b);
  if (io->in_len == 0) {
    BIO_set_retry_read(b);
    return -1;
  }
  size_t n = std::min(io->in_len, static_cast<size_t>(len));
  memcpy(buf, io->in, n);
  io->in += n;
  io->in_len -= n;
  return static_cast<int>(n);
}

long bio_ctrl(BIO*, int cmd, long, void*) { return cmd == BIO_CTRL_FLUSH ? 1 : 0; }

int bio_create(BIO* b) {
  BIO_set_init(b, 1);
  return 1;
}

int bio_destroy(BIO*) { return 1; }

std::string ssl_error_detail(SSL* ssl) {
  std::string out = crypto::drain_openssl_errors();
  long vr = ssl != nullptr ? SSL_get_verify_result(ssl) : X509_V_OK;
  if (vr != X509_V_OK) {
    if (!out.empty()) out += "; ";
    out += "verify: ";
    out += X509_verify_cert_error_string(vr);
  }
  return out.empty() ? "unknown TLS error" : out;
}

}  // namespace

namespace detail {
int tls_bio_write(BIO* b, const char* data, int len) {
  auto* io = static_cast<TlsTransport::BioIo*>(BIO_get_data(b));
  BIO_clear_retry_flags(b);
  io->out->take_cipher(data, static_cast<size_t>(len));
  return len;
}
}  // namespace detail

BIO_METHOD* make_buffer_bio_method() {
  BIO_METHOD* m = BIO_meth_new(BIO_get_new_index() | BIO_TYPE_SOURCE_SINK, "pushgw_buffer");
  if (m == nullptr) return nullptr;
  BIO_meth_set_write(m, detail::tls_bio_write);
  BIO_meth_set_read(m, bio_read);
  BIO_meth_set_ctrl(m, bio_ctrl);
  BIO_meth_set_create(m, bio_create);
  BIO_meth_set_destroy(m, bio_destroy);
  return m;
}

TlsTransport::TlsTransport(uv_loop_t* loop, std::shared_ptr<TlsContext> tls, TlsTransportOptions opts,
                           TransportHandler& handler, obs::Logger log)
    : tls_(std::move(tls)),
      opts_(std::move(opts)),
      handler_(&handler),
      log_(std::move(log)),
      tcp_(loop),
      rbuf_(new char[kReadBufSize]),
      alive_(std::make_shared<bool>(true)) {
  bio_io_.out = this;
}

// The stream closes with its member destructor; no callback follows.
TlsTransport::~TlsTransport() {
  *alive_ = false;
  if (ssl_) SSL_set_app_data(ssl_.get(), nullptr);
}

// What the socket has not taken yet: libuv's queue size, not the size of
// the write in flight (uv_write sends what it can at once).
size_t TlsTransport::write_backlog() const {
  const size_t queued = writing_ && !socket_closing_ ? tcp_.handle()->write_queue_size : 0;
  return plain_.size() + cipher_.size() + std::min(queued, inflight_);
}

void TlsTransport::connect(const sockaddr* addr) {
  int rc = tcp_.connect(addr, [this](int status) { on_connect(status); });
  if (rc != 0) {
    // Never report from inside connect(): the error goes out from the close callback.
    PGW_LOG(log_, Warn, "conn %u: connect %s: %s", opts_.conn_id, net::to_string(addr).c_str(), uv_strerror(rc));
    failed_ = true;
    deferred_error_ = NetError::ConnectFailed;
    deferred_detail_ = uv_strerror(rc);
    close_socket();
  }
}

void TlsTransport::on_connect(int status) {
  if (failed_) return;
  if (status != 0) {
    fail(NetError::ConnectFailed, uv_strerror(status));
    return;
  }
  uv_tcp_nodelay(tcp_.handle(), 1);
  int rc = tcp_.read_start(
      rbuf_.get(), kReadBufSize, [this](const char* data, size_t len) { on_read(data, len); },
      [this](int end) { on_read_end(end); });
  if (rc != 0) {
    fail(NetError::ConnectFailed, uv_strerror(rc));
    return;
  }
  if (!start_tls()) return;
  handshake_step();
}

// The key names the calling (loop) thread too: an SSL_SESSION must never be
// in use by connections on two threads at once, because OpenSSL reads and
// duplicates the session object (and its peer certificate chain) without a
// lock while it processes TLS 1.3 tickets. One handshake per thread per origin
// is the whole price.
std::string TlsTransport::session_key() const {
  return opts_.host + ":" + std::to_string(opts_.port) + (opts_.offer_http1 ? "/h1" : "") + "@" +
         std::to_string(std::hash<std::thread::id>{}(std::this_thread::get_id()));
}

bool TlsTransport::start_tls() {
  ERR_clear_error();
  ssl_.reset(SSL_new(tls_->get()));
  BIO* bio = ssl_ ? BIO_new(const_cast<BIO_METHOD*>(tls_->buffer_bio_method())) : nullptr;
  if (bio == nullptr) {
    fail(NetError::TlsHandshakeFailed, "SSL_new/BIO_new failed");
    return false;
  }
  BIO_set_data(bio, &bio_io_);
  SSL* ssl = ssl_.get();
  SSL_set_bio(ssl, bio, bio);  // one reference, owned by ssl
  SSL_set_app_data(ssl, this);
  SSL_set_connect_state(ssl);
  X509_VERIFY_PARAM* param = SSL_get0_param(ssl);
  bool ok;
  if (is_ip_literal(opts_.host)) {
    std::string ip = opts_.host;
    if (ip.size() > 2 && ip.front() == '[') ip = ip.substr(1, ip.size() - 2);
    ok = X509_VERIFY_PARAM_set1_ip_asc(param, ip.c_str()) == 1;  // no SNI for IP literals (RFC 6066 3)
  } else {
    X509_VERIFY_PARAM_set_hostflags(param, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
    ok = X509_VERIFY_PARAM_set1_host(param, opts_.host.data(), opts_.host.size()) == 1 &&
         SSL_set_tlsext_host_name(ssl, opts_.host.c_str()) == 1;
  }
  if (opts_.offer_http1) ok = ok && SSL_set_alpn_protos(ssl, kAlpnH2H1, sizeof kAlpnH2H1) == 0;
  else ok = ok && SSL_set_alpn_protos(ssl, kAlpnH2, sizeof kAlpnH2) == 0;
  if (!ok) {
    fail(NetError::TlsHandshakeFailed, "cannot set verification name/ALPN for " + opts_.host);
    return false;
  }
  if (SSL_SESSION* s = tls_->get1_session(session_key())) {
    SSL_set_session(ssl, s);
    SSL_SESSION_free(s);
  }
  return true;
}

bool TlsTransport::handshake_step() {
  ERR_clear_error();
  int r = SSL_do_handshake(ssl_.get());
  if (r == 1) {
    handshake_done_ = true;
    start_write();  // client Finished
    const unsigned char* proto = nullptr;
    unsigned int len = 0;
    SSL_get0_alpn_selected(ssl_.get(), &proto, &len);
    PGW_LOG(log_, Debug, "conn %u: TLS %s established, ALPN \"%.*s\"%s", opts_.conn_id,
            SSL_get_version(ssl_.get()), static_cast<int>(len), proto != nullptr ? reinterpret_cast<const char*>(proto) : "",
            SSL_session_reused(ssl_.get()) ? " (resumed)" : "");
    handler_->on_transport_ready(std::string_view(reinterpret_cast<const char*>(proto), proto ? len : 0));
    return !failed_;
  }
  int err = SSL_get_error(ssl_.get(), r);
  if (err == SSL_ERROR_WANT_READ) {
    start_write();
    return true;
  }
  bool verify = SSL_get_verify_result(ssl_.get()) != X509_V_OK;
  fail(verify ? NetError::TlsVerifyFailed : NetError::TlsHandshakeFailed, ssl_error_detail(ssl_.get()));
  return false;
}

void TlsTransport::on_read_end(int status) {
  if (failed_) return;
  if (!handshake_done_) fail(NetError::TlsHandshakeFailed, std::string("peer closed during handshake: ") + uv_strerror(status));
  else fail(status == UV_EOF ? NetError::Closed : NetError::IoError, uv_strerror(status));
}

void TlsTransport::on_read(const char* data, size_t len) {
  if (failed_) return;
  bio_io_.in = reinterpret_cast<const uint8_t*>(data);
  bio_io_.in_len = len;
  if (!handshake_done_) {
    if (!handshake_step() || !handshake_done_) return;
  }
  if (!read_plaintext()) return;
  bio_io_.in_len = 0;
  start_write();  // alerts, key updates, or what the handler flushed
  if (!failed_) handler_->on_transport_read_done();
}

bool TlsTransport::read_plaintext() {
  if (rplain_.size() < kMaxRecordPlain) rplain_.resize(kMaxRecordPlain);
  // SSL_get_error needs an empty error queue before each SSL_read. A
  // successful SSL_read adds nothing to it, so it is cleared once here and
  // again only if the handler left something (ERR_clear_error walks all 16
  // slots; a read carries a few records per notification).
  ERR_clear_error();
  for (;;) {
    int r = SSL_read(ssl_.get(), rplain_.data(), static_cast<int>(rplain_.size()));
    if (r > 0) {
      handler_->on_transport_data(reinterpret_cast<const uint8_t*>(rplain_.data()), static_cast<size_t>(r));
      if (failed_) return false;
      if (ERR_peek_error() != 0) ERR_clear_error();
      continue;
    }
    int err = SSL_get_error(ssl_.get(), r);
    if (err == SSL_ERROR_WANT_READ) return true;
    if (err == SSL_ERROR_ZERO_RETURN) fail(NetError::Closed, "close_notify");
    else fail(NetError::IoError, ssl_error_detail(ssl_.get()));
    return false;
  }
}

bool TlsTransport::encrypt_pending() {
  ERR_clear_error();
  size_t off = 0;
  while (off < plain_.size()) {
    int n = static_cast<int>(std::min(kMaxRecordPlain, plain_.size() - off));
    int r = SSL_write(ssl_.get(), plain_.data() + off, n);
    if (r <= 0) return false;
    off += static_cast<size_t>(r);
  }
  plain_.clear();
  return true;
}

void TlsTransport::take_cipher(const char* data, size_t len) {
  if (!writing_ && !socket_closing_ && cipher_.empty()) {
    const int n = tcp_.try_write(data, len);
    if (n > 0) {
      data += n;
      len -= static_cast<size_t>(n);
    }
  }
  cipher_.append(data, len);
}

void TlsTransport::flush() {
  if (failed_ || !handshake_done_) return;
  if (!encrypt_pending()) {
    fail(NetError::IoError, ssl_error_detail(ssl_.get()));
    return;
  }
  start_write();
}

void TlsTransport::start_write() {
  if (int rc = write_cipher(); rc != 0) {
    fail(NetError::IoError, uv_strerror(rc));
    return;
  }
  if (opts_.max_write_backlog > 0 && write_backlog() > opts_.max_write_backlog)
    fail(NetError::IoError, "peer not reading: " + std::to_string(write_backlog()) + " bytes unsent (cap " +
                                std::to_string(opts_.max_write_backlog) + ")");
}

int TlsTransport::write_cipher() {
  if (writing_ || socket_closing_ || cipher_.empty()) return 0;
  // The stream swaps buffers: cipher_ comes back empty with the capacity of
  // an earlier write, so there is no allocation once warm.
  const size_t n = cipher_.size();
  int rc = tcp_.write(cipher_, [this](int status) {
    writing_ = false;
    inflight_ = 0;
    on_write_done(status);
  });
  if (rc == 0) {
    writing_ = true;
    inflight_ = n;
  }
  return rc;
}

void TlsTransport::on_write_done(int status) {
  if (failed_) return;
  if (status < 0) {
    fail(handshake_done_ ? NetError::IoError : NetError::TlsHandshakeFailed, uv_strerror(status));
    return;
  }
  start_write();
}

void TlsTransport::fail(NetError err, const std::string& detail) {
  if (failed_) return;
  failed_ = true;
  if (err == NetError::Closed) PGW_LOG(log_, Debug, "conn %u: %.*s: %s", opts_.conn_id, static_cast<int>(to_string(err).size()), to_string(err).data(), detail.c_str());
  else PGW_LOG(log_, Warn, "conn %u: %s:%u %.*s: %s", opts_.conn_id, opts_.host.c_str(), opts_.port, static_cast<int>(to_string(err).size()), to_string(err).data(), detail.c_str());
  close_socket();
  handler_->on_transport_error(err, detail);
}

void TlsTransport::close() {
  if (!failed_ && handshake_done_ && !socket_closing_) {
    // Best effort, no error reporting: queued plaintext and close_notify go
    // out if the socket takes them now (uv_write tries synchronously).
    if (encrypt_pending()) {
      ERR_clear_error();
      SSL_shutdown(ssl_.get());
      write_cipher();
    }
  }
  failed_ = true;
  close_socket();
}

void TlsTransport::close_socket() {
  if (socket_closing_) return;
  socket_closing_ = true;
  tcp_.close([this, alive = alive_] {
    if (*alive) on_closed();
  });
}

void TlsTransport::on_closed() {
  if (deferred_error_ != NetError::None) handler_->on_transport_error(deferred_error_, deferred_detail_);
  handler_->on_transport_closed();
}

bool TlsTransport::on_new_session(SSL_SESSION* sess) {
  tls_->put_session(session_key(), sess);
  return true;
}

}  // namespace pushgw::net
