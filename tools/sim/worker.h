// One event loop thread of the simulator: its TCP listener (SO_REUSEPORT
// when there are several workers), its open connections and its handler
// scratch state. Workers share only the SimCore.
#pragma once
#include <uv.h>

#include <cstdint>
#include <functional>
#include <string>
#include <unordered_set>

#include "core.h"
#include "h2_server.h"
#include "handler_ctx.h"
#include "pushgw/result.h"
#include "tls_server.h"

namespace pushgw::sim {

class Connection;

struct TlsContexts {
  SslCtxPtr good;  // the --cert/--key pair
  SslCtxPtr bad;   // self-signed, for the bad_tls fault
};

class Worker {
 public:
  Worker(SimCore& core, const TlsContexts& tls, H2Options h2);
  ~Worker();
  Worker(const Worker&) = delete;
  Worker& operator=(const Worker&) = delete;

  // Binds and listens; port 0 picks one. Returns the bound port.
  Result<uint16_t> listen(const std::string& host, uint16_t port, bool reuseport);
  // Runs the loop until stop() has closed everything.
  void run();
  // Thread-safe: closes the listener and all connections, ending run().
  void stop();
  // Runs on the loop thread during stop(), before the loop ends (admin server).
  void set_on_stop(std::function<void()> f) { on_stop_ = std::move(f); }

  uv_loop_t* loop() { return &loop_; }
  SimCore& core() { return core_; }
  HandlerCtx& ctx() { return ctx_; }
  const H2Options& h2_options() const { return h2_; }
  char* read_buffer() { return read_buf_; }
  static constexpr size_t kReadBufferSize = 64 * 1024;
  char* plain_buffer() { return plain_buf_; }
  static constexpr size_t kPlainBufferSize = 32 * 1024;

  void add(Connection* c) { conns_.insert(c); }
  void remove(Connection* c) { conns_.erase(c); }

 private:
  static void on_connection(uv_stream_t* server, int status);
  static void on_stop(uv_async_t* a);

  SimCore& core_;
  const TlsContexts& tls_;
  H2Options h2_;
  uv_loop_t loop_;
  uv_tcp_t listener_;
  uv_async_t stop_async_;
  bool listening_ = false;
  HandlerCtx ctx_;
  std::function<void()> on_stop_;
  std::unordered_set<Connection*> conns_;
  char read_buf_[kReadBufferSize];
  char plain_buf_[kPlainBufferSize];
};

}  // namespace pushgw::sim
