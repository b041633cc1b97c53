// One RAII alias per OpenSSL type this module owns, with stateless deleters.
#pragma once
#include <openssl/bio.h>
#include <openssl/ssl.h>

#include <memory>

namespace pushgw::net {

struct SslCtxFree {
  void operator()(SSL_CTX* p) const { SSL_CTX_free(p); }
};
struct SslFree {
  void operator()(SSL* p) const { SSL_free(p); }
};
struct SslSessionFree {
  void operator()(SSL_SESSION* p) const { SSL_SESSION_free(p); }
};
struct BioMethodFree {
  void operator()(BIO_METHOD* p) const { BIO_meth_free(p); }
};

using ssl_ctx_ptr = std::unique_ptr<SSL_CTX, SslCtxFree>;
using ssl_ptr = std::unique_ptr<SSL, SslFree>;
using ssl_session_ptr = std::unique_ptr<SSL_SESSION, SslSessionFree>;
using bio_method_ptr = std::unique_ptr<BIO_METHOD, BioMethodFree>;

}  // namespace pushgw::net
