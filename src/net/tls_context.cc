#include "net/tls_context.h"

#include <openssl/err.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "crypto/openssl_errors.h"
#include "net/tls_transport.h"

namespace pushgw::net {
namespace {

std::string openssl_errors() {
  std::string out = crypto::drain_openssl_errors();
  return out.empty() ? "unknown OpenSSL error" : out;
}

// TLS 1.2 suites acceptable to HTTP/2 (RFC 7540 9.2.2: ephemeral key exchange
// and AEAD only); TLS 1.3 suites keep OpenSSL's defaults.
constexpr const char* kTls12Ciphers =
    "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:"
    "ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:"
    "ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305";

// Called by OpenSSL when the server issues a session (TLS 1.3: after the
// handshake, from inside SSL_read). Returning 1 keeps the reference.
int on_new_session(SSL* ssl, SSL_SESSION* sess) {
  auto* t = static_cast<TlsTransport*>(SSL_get_app_data(ssl));
  if (t == nullptr) return 0;
  return t->on_new_session(sess) ? 1 : 0;
}

}  // namespace

Result<std::shared_ptr<TlsContext>> TlsContext::create(const std::string& ca_file) {
  std::shared_ptr<TlsContext> self(new TlsContext());
  ERR_clear_error();
  self->ctx_.reset(SSL_CTX_new(TLS_client_method()));
  if (!self->ctx_) return make_error("tls_init", "SSL_CTX_new: " + openssl_errors());
  SSL_CTX* ctx = self->ctx_.get();
  SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
  SSL_CTX_set_options(ctx, SSL_OP_NO_COMPRESSION | SSL_OP_NO_RENEGOTIATION);
  if (SSL_CTX_set_cipher_list(ctx, kTls12Ciphers) != 1)
    return make_error("tls_init", "cipher list: " + openssl_errors());
  if (SSL_CTX_set_default_verify_paths(ctx) != 1)
    return make_error("tls_init", "system trust store: " + openssl_errors());
  if (!ca_file.empty() && SSL_CTX_load_verify_locations(ctx, ca_file.c_str(), nullptr) != 1)
    return make_error("tls_ca_file", "cannot load CA file " + ca_file + ": " + openssl_errors());
  // OpenSSL computes a certificate's cached extensions (key identifiers,
  // purpose flags) lazily on first verification, under the certificate's own
  // lock but read back elsewhere without it. Computing them now, before any
  // sender thread exists, means the trust anchors are only ever read
  // concurrently, never written.
  STACK_OF(X509_OBJECT)* objs = X509_STORE_get0_objects(SSL_CTX_get_cert_store(ctx));
  for (int i = 0; i < sk_X509_OBJECT_num(objs); ++i) {
    if (X509* x = X509_OBJECT_get0_X509(sk_X509_OBJECT_value(objs, i))) X509_check_purpose(x, -1, 0);
  }
  // Never turned off: the name check itself is set per connection.
  SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, nullptr);
  SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_CLIENT | SSL_SESS_CACHE_NO_INTERNAL_STORE);
  SSL_CTX_sess_set_new_cb(ctx, on_new_session);

  self->bio_method_.reset(make_buffer_bio_method());
  if (!self->bio_method_) return make_error("tls_init", "BIO_meth_new failed");
  return self;
}

TlsContext::~TlsContext() = default;

SSL_SESSION* TlsContext::get1_session(const std::string& key) const {
  std::lock_guard<std::mutex> g(mu_);
  auto it = sessions_.find(key);
  if (it == sessions_.end()) return nullptr;
  lru_.splice(lru_.begin(), lru_, it->second);
  SSL_SESSION* s = it->second->session.get();
  if (SSL_SESSION_is_resumable(s) != 1) return nullptr;
  SSL_SESSION_up_ref(s);
  return s;
}

void TlsContext::put_session(const std::string& key, SSL_SESSION* s) {
  ssl_session_ptr p(s);
  std::lock_guard<std::mutex> g(mu_);
  auto it = sessions_.find(key);
  if (it != sessions_.end()) {
    it->second->session = std::move(p);  // the old one is freed here
    lru_.splice(lru_.begin(), lru_, it->second);
    return;
  }
  lru_.push_front(Cached{key, std::move(p)});
  sessions_.emplace(key, lru_.begin());
  if (lru_.size() > kMaxSessions) {
    sessions_.erase(lru_.back().key);
    lru_.pop_back();
  }
}

bool TlsContext::cached(const std::string& key) const {
  std::lock_guard<std::mutex> g(mu_);
  return sessions_.count(key) > 0;
}

size_t TlsContext::sessions() const {
  std::lock_guard<std::mutex> g(mu_);
  return lru_.size();
}

}  // namespace pushgw::net
