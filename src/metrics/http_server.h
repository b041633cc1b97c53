// MetricsServer: a tiny HTTP/1.1 listener on a libuv loop for scrapers and
// health checks. GET /metrics -> handlers.metrics() as text format 0.0.4;
// GET /healthz -> 200 "ok\n" when handlers.healthy() says so, else 503;
// HEAD works on both; anything else 404 (405 for other methods). One request
// per connection ("Connection: close").
//
// Robustness: a request head is read up to max_request_bytes (else 431); a
// connection gets head_timeout_ms to send its request and timeout_ms to
// read the answer (slow clients are cut off); at most max_connections at
// once. A client past the limit takes the place of the oldest one still
// waiting for its request head (idle clients cannot keep /healthz from
// answering); when every slot is answering, it is closed at once. Handlers
// run on the loop thread.
//
// Lifetimes: everything belongs to the loop thread. The listener and its
// connections are unref'd, so the server never keeps the loop alive; a
// daemon shuts it down with close() (or by destroying it) before the final
// uv_run. Handles live in loop/ boxes and connections are deleted on a later
// turn, so the server may be destroyed at any time, even from inside a
// handler.
#pragma once
#include <uv.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>

#include "loop/stream.h"
#include "obs/log.h"
#include "pushgw/result.h"

namespace pushgw::metrics {

class MetricsServer {
 public:
  struct Handlers {
    std::function<std::string()> metrics;  // body of /metrics; required
    std::function<bool()> healthy;         // empty = always healthy
    // Why the daemon is unhealthy ("" = it is not): /healthz answers 503
    // with it. Checked after healthy.
    std::function<std::string()> problem;
  };
  struct Options {
    std::size_t max_request_bytes = 8192;
    uint64_t head_timeout_ms = 2000;
    uint64_t timeout_ms = 10000;
    std::size_t max_connections = 64;
    obs::Logger log;
  };

  MetricsServer(uv_loop_t* loop, Handlers handlers, Options options);
  ~MetricsServer();
  MetricsServer(const MetricsServer&) = delete;
  MetricsServer& operator=(const MetricsServer&) = delete;

  // Binds and listens on "host:port" or "[v6addr]:port" ([metrics] listen);
  // "" disables the server (ok, nothing listens). Port 0 picks a free port.
  // The host is resolved with getaddrinfo: call before the loop runs.
  // Errors: "metrics_address" (cannot parse or resolve), "metrics_listen"
  // (bind/listen failed, e.g. address in use).
  Result<void> listen(std::string_view address);

  bool listening() const;
  uint16_t port() const;  // bound port; 0 when not listening
  std::size_t connections() const;

  // Stops listening and closes every connection; done (optional) runs on the
  // loop once the listener is closed (at once when nothing listens).
  // Idempotent.
  void close(std::function<void()> done = {});

 private:
  class Conn;  // one scrape

  void on_connection(int status);
  bool evict_idle();
  void retire(Conn& c);

  uv_loop_t* loop_;
  Handlers handlers_;
  Options opts_;
  std::unique_ptr<loop::TcpStream> listener_;
  std::unordered_map<const Conn*, std::unique_ptr<Conn>> conns_;
  bool closing_ = false;
  uint64_t accepted_ = 0;  // connections started: their age order (many start within one ms)
};

}  // namespace pushgw::metrics
