// An in-loop TLS server on 127.0.0.1 for tests: accepts connections, does the
// handshake with memory BIOs, selects ALPN from its own list, and hands
// decrypted bytes to a per-connection ServerApp (h2 / HTTP/1.1 fakes).
// Runs on the same libuv loop as the code under test (single thread).
#pragma once
#include <openssl/ssl.h>
#include <uv.h>

#include <cstdint>
#include <functional>
#include <list>
#include <memory>
#include <string>
#include <vector>

namespace pushgw::testing {

class ServerConn;

class ServerApp {
 public:
  virtual ~ServerApp() = default;
  virtual void on_data(const uint8_t* data, size_t len) = 0;
};

struct TlsServerOptions {
  std::string cert_pem, key_pem;
  std::vector<std::string> alpn;  // server preference order; empty: no ALPN at all
  std::function<std::unique_ptr<ServerApp>(ServerConn&)> make_app;
};

class ServerConn {
 public:
  void write(const std::string& plain);
  void close();
  std::string alpn() const;
  uv_loop_t* loop() const;

 private:
  friend class TlsServer;
  struct Impl;
  explicit ServerConn(Impl* impl) : impl_(impl) {}
  Impl* impl_;
};

class TlsServer {
 public:
  TlsServer(uv_loop_t* loop, TlsServerOptions opts);
  ~TlsServer();  // close() if not done
  TlsServer(const TlsServer&) = delete;
  TlsServer& operator=(const TlsServer&) = delete;

  uint16_t port() const { return port_; }
  // Stops listening and closes every connection (handles freed by the loop).
  void close();
  // Stops reading from every connection (a peer that went silent).
  void stall();
  size_t accepted() const { return accepted_; }
  size_t open_connections() const { return conns_.size(); }

 private:
  friend struct ServerConn::Impl;
  void on_accept();
  void forget(ServerConn::Impl* c);

  uv_loop_t* loop_;
  TlsServerOptions opts_;
  SSL_CTX* ctx_ = nullptr;
  std::vector<unsigned char> alpn_wire_;
  uv_tcp_t* listener_ = nullptr;
  uint16_t port_ = 0;
  size_t accepted_ = 0;
  bool stalled_ = false;
  std::list<ServerConn::Impl*> conns_;
};

}  // namespace pushgw::testing
