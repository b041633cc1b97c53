// Server side TLS over memory BIOs: the connection feeds ciphertext read from
// the socket in, pulls plaintext out for HTTP/2, pushes HTTP/2 bytes in and
// takes ciphertext out to write. No socket I/O here, so one TLS record
// stream can be driven by libuv without OpenSSL touching the fd.
//
// ALPN: the simulator offers "h2" only; a client that offers ALPN without
// h2 fails the handshake (no_application_protocol). Test peers may offer
// HTTP/1.1 as well or instead (h1_server.h), or no ALPN at all.
#pragma once
#include <openssl/ssl.h>

#include <memory>
#include <string>
#include <string_view>

#include "pushgw/result.h"

namespace pushgw::sim {

struct SslCtxFree {
  void operator()(SSL_CTX* c) const { SSL_CTX_free(c); }
};
using SslCtxPtr = std::unique_ptr<SSL_CTX, SslCtxFree>;
struct SslFree {
  void operator()(SSL* s) const { SSL_free(s); }
};
using SslPtr = std::unique_ptr<SSL, SslFree>;

// What the server selects from the client's ALPN list, in its preference
// order. None: no ALPN extension in the answer at all.
enum class Alpn : uint8_t { H2, Http1, H2OrHttp1, None };

// Errors: "tls_config" (unreadable/mismatched certificate or key).
Result<SslCtxPtr> make_server_ctx_files(const std::string& cert_file, const std::string& key_file);
Result<SslCtxPtr> make_server_ctx_pem(std::string_view cert_pem, std::string_view key_pem, Alpn alpn = Alpn::H2);

class TlsConn {
 public:
  enum class Step { kMore, kDone, kFailed };

  explicit TlsConn(SSL_CTX* ctx);
  bool valid() const { return ssl_ != nullptr; }

  // Ciphertext from the peer.
  void put_ciphertext(const char* data, size_t n);
  // Advances the handshake with what was put so far.
  Step handshake();
  bool established() const { return established_; }
  // The protocol ALPN selected ("" when none).
  std::string_view alpn() const;
  // Decrypts into buf: >0 bytes, 0 when more ciphertext is needed, -1 when
  // the peer closed (close_notify) or the stream is broken.
  int read(char* buf, int cap);
  // Encrypts plaintext (all of it; memory BIOs never block).
  bool write(std::string_view plain);
  // Sends close_notify.
  void shutdown();
  // Appends pending ciphertext to out.
  void take_ciphertext(std::string& out);
  bool has_ciphertext() const;

 private:
  SslPtr ssl_;
  BIO* rbio_ = nullptr;  // owned by ssl_
  BIO* wbio_ = nullptr;  // owned by ssl_
  bool established_ = false;
};

}  // namespace pushgw::sim
