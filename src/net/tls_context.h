// Client TLS configuration shared by every connection of the process.
//
// Created once (any thread), then shared read-only across sender threads via
// shared_ptr. Peer verification is always on: the trust store is the system
// default verify paths plus an optional extra CA file. The per-connection
// parts (SNI, verification name, ALPN) are set by TlsTransport.
//
// It also keeps a small client session cache keyed by "host:port" and thread so a
// reconnect can resume instead of doing a full handshake; that cache is the
// only mutable state and is guarded by a mutex (touched once per handshake).
// It holds at most kMaxSessions entries, the least recently used go first:
// Web Push origins are chosen by subscribers, so an attacker with wildcard
// DNS could otherwise add a session per made-up name without end.
#pragma once
#include <openssl/ssl.h>

#include <list>
#include <memory>
#include <unordered_map>
#include <mutex>
#include <string>

#include "net/ssl_types.h"
#include "pushgw/result.h"

namespace pushgw::net {

class TlsContext {
 public:
  // Errors: "tls_init" (OpenSSL could not build the context),
  // "tls_ca_file" (ca_file given but unreadable or holds no certificate).
  static Result<std::shared_ptr<TlsContext>> create(const std::string& ca_file);
  ~TlsContext();
  TlsContext(const TlsContext&) = delete;
  TlsContext& operator=(const TlsContext&) = delete;

  SSL_CTX* get() const { return ctx_.get(); }

  // The in-memory BIO type every TlsTransport uses (see tls_transport.cc).
  const BIO_METHOD* buffer_bio_method() const { return bio_method_.get(); }

  // Session resumption. get returns a new reference (or nullptr).
  SSL_SESSION* get1_session(const std::string& key) const;
  void put_session(const std::string& key, SSL_SESSION* s);  // takes the reference
  size_t sessions() const;  // entries cached now
  bool cached(const std::string& key) const;

  static constexpr size_t kMaxSessions = 2048;

 private:
  TlsContext() = default;
  struct Cached {
    std::string key;
    ssl_session_ptr session;
  };

  ssl_ctx_ptr ctx_;
  bio_method_ptr bio_method_;
  mutable std::mutex mu_;
  // Most recently used first; guarded by mu_.
  mutable std::list<Cached> lru_;
  std::unordered_map<std::string, std::list<Cached>::iterator> sessions_;
};

}  // namespace pushgw::net
