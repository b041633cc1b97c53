#include "tls_server.h"

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/pem.h>

#include "crypto/openssl_errors.h"

namespace pushgw::sim {

namespace {

// ALPN wire lists (length-prefixed names), server preference first.
constexpr std::string_view kWireH2("\x02h2", 3);
constexpr std::string_view kWireHttp1("\x08http/1.1", 9);
constexpr std::string_view kWireH2OrHttp1("\x02h2\x08http/1.1", 12);

int select_alpn(SSL*, const unsigned char** out, unsigned char* outlen, const unsigned char* in,
                unsigned int inlen, void* arg) {
  const auto* wire = static_cast<const std::string_view*>(arg);
  unsigned char* selected = nullptr;
  if (SSL_select_next_proto(&selected, outlen, reinterpret_cast<const unsigned char*>(wire->data()),
                            static_cast<unsigned>(wire->size()), in, inlen) != OPENSSL_NPN_NEGOTIATED)
    return SSL_TLSEXT_ERR_ALERT_FATAL;
  *out = selected;
  return SSL_TLSEXT_ERR_OK;
}

const std::string_view* alpn_wire(Alpn a) {
  switch (a) {
    case Alpn::H2: return &kWireH2;
    case Alpn::Http1: return &kWireHttp1;
    case Alpn::H2OrHttp1: return &kWireH2OrHttp1;
    case Alpn::None: break;
  }
  return nullptr;
}

Error tls_error(std::string what) {
  std::string detail = crypto::drain_openssl_errors();
  return make_error("tls_config", detail.empty() ? what : what + ": " + detail);
}

Result<SslCtxPtr> base_ctx(Alpn alpn = Alpn::H2) {
  SslCtxPtr ctx(SSL_CTX_new(TLS_server_method()));
  if (!ctx) return tls_error("SSL_CTX_new");
  SSL_CTX_set_min_proto_version(ctx.get(), TLS1_2_VERSION);
  SSL_CTX_set_options(ctx.get(), SSL_OP_NO_RENEGOTIATION | SSL_OP_CIPHER_SERVER_PREFERENCE);
  // Idle connections keep no 34 KiB record buffers around.
  SSL_CTX_set_mode(ctx.get(), SSL_MODE_RELEASE_BUFFERS);
  if (const std::string_view* wire = alpn_wire(alpn))
    SSL_CTX_set_alpn_select_cb(ctx.get(), select_alpn, const_cast<std::string_view*>(wire));
  return ctx;
}

}  // namespace

Result<SslCtxPtr> make_server_ctx_files(const std::string& cert_file, const std::string& key_file) {
  auto ctx = base_ctx();
  if (!ctx) return ctx;
  if (SSL_CTX_use_certificate_chain_file(ctx->get(), cert_file.c_str()) != 1)
    return tls_error("cannot load certificate " + cert_file);
  if (SSL_CTX_use_PrivateKey_file(ctx->get(), key_file.c_str(), SSL_FILETYPE_PEM) != 1)
    return tls_error("cannot load key " + key_file);
  if (SSL_CTX_check_private_key(ctx->get()) != 1) return tls_error("key does not match certificate");
  return ctx;
}

Result<SslCtxPtr> make_server_ctx_pem(std::string_view cert_pem, std::string_view key_pem, Alpn alpn) {
  auto ctx = base_ctx(alpn);
  if (!ctx) return ctx;
  BIO* cb = BIO_new_mem_buf(cert_pem.data(), static_cast<int>(cert_pem.size()));
  X509* cert = cb ? PEM_read_bio_X509(cb, nullptr, nullptr, nullptr) : nullptr;
  BIO_free(cb);
  BIO* kb = BIO_new_mem_buf(key_pem.data(), static_cast<int>(key_pem.size()));
  EVP_PKEY* key = kb ? PEM_read_bio_PrivateKey(kb, nullptr, nullptr, nullptr) : nullptr;
  BIO_free(kb);
  const bool ok = cert && key && SSL_CTX_use_certificate(ctx->get(), cert) == 1 &&
                  SSL_CTX_use_PrivateKey(ctx->get(), key) == 1 && SSL_CTX_check_private_key(ctx->get()) == 1;
  X509_free(cert);
  EVP_PKEY_free(key);
  if (!ok) return tls_error("in-memory certificate/key");
  return ctx;
}

TlsConn::TlsConn(SSL_CTX* ctx) : ssl_(SSL_new(ctx)) {
  if (!ssl_) return;
  rbio_ = BIO_new(BIO_s_mem());
  wbio_ = BIO_new(BIO_s_mem());
  if (!rbio_ || !wbio_) {
    BIO_free(rbio_);
    BIO_free(wbio_);
    ssl_.reset();
    return;
  }
  // An empty read BIO means "wait for more", not EOF.
  BIO_set_mem_eof_return(rbio_, -1);
  SSL_set_bio(ssl_.get(), rbio_, wbio_);
  SSL_set_accept_state(ssl_.get());
}

std::string_view TlsConn::alpn() const {
  const unsigned char* p = nullptr;
  unsigned len = 0;
  SSL_get0_alpn_selected(ssl_.get(), &p, &len);
  return p != nullptr ? std::string_view(reinterpret_cast<const char*>(p), len) : std::string_view();
}

void TlsConn::put_ciphertext(const char* data, size_t n) { BIO_write(rbio_, data, static_cast<int>(n)); }

TlsConn::Step TlsConn::handshake() {
  int r = SSL_do_handshake(ssl_.get());
  if (r == 1) {
    established_ = true;
    return Step::kDone;
  }
  int e = SSL_get_error(ssl_.get(), r);
  if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE) return Step::kMore;
  ERR_clear_error();
  return Step::kFailed;
}

int TlsConn::read(char* buf, int cap) {
  int r = SSL_read(ssl_.get(), buf, cap);
  if (r > 0) return r;
  int e = SSL_get_error(ssl_.get(), r);
  if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE) return 0;
  ERR_clear_error();
  return -1;
}

bool TlsConn::write(std::string_view plain) {
  while (!plain.empty()) {
    int r = SSL_write(ssl_.get(), plain.data(), static_cast<int>(plain.size()));
    if (r <= 0) {
      ERR_clear_error();
      return false;
    }
    plain.remove_prefix(static_cast<size_t>(r));
  }
  return true;
}

void TlsConn::shutdown() {
  if (established_) SSL_shutdown(ssl_.get());
  ERR_clear_error();
}

void TlsConn::take_ciphertext(std::string& out) {
  size_t n = BIO_ctrl_pending(wbio_);
  if (n == 0) return;
  size_t old = out.size();
  out.resize(old + n);
  int r = BIO_read(wbio_, out.data() + old, static_cast<int>(n));
  out.resize(old + (r > 0 ? static_cast<size_t>(r) : 0));
}

bool TlsConn::has_ciphertext() const { return BIO_ctrl_pending(wbio_) > 0; }

}  // namespace pushgw::sim
