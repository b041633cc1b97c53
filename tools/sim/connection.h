// One accepted TLS + HTTP/2 connection on a worker loop: socket reads go
// through TlsConn into H2Conn; H2Conn output is encrypted and written with at
// most one uv_write in flight (later output is batched behind it).
//
// Lifetime: created by the worker on accept, deleted in the close callback of
// its last libuv handle (never from inside another of its callbacks).
// Teardown paths: close_now() (errors, refuse, shutdown) closes at once;
// linger() stops processing input, flushes what was produced, half-closes
// and waits briefly for the peer's EOF so the last responses are not lost to
// a TCP reset; go_silent() (the stall_after fault) flushes what was produced,
// then stops reading and writing with the socket left open, and closes it
// only after kSilentMs.
#pragma once
#include <uv.h>

#include <memory>
#include <string>

#include "h2_server.h"
#include "tls_server.h"

namespace pushgw::sim {

class Worker;

class Connection final : public RequestSink {
 public:
  Connection(Worker& w, SSL_CTX* ctx);
  ~Connection() override;
  uv_tcp_t* tcp() { return &tcp_; }
  // After uv_accept succeeded.
  void start();
  void close_now();

  Disposition on_request(const SimRequest& req, SimResponse& resp) override;

 private:
  enum class State { kOpen, kLinger, kSilent, kClosing };

  static void on_alloc(uv_handle_t* h, size_t, uv_buf_t* buf);
  static void on_read(uv_stream_t* s, ssize_t nread, const uv_buf_t* buf);
  static void on_write(uv_write_t* req, int status);
  static void on_shutdown(uv_shutdown_t* req, int status);
  static void on_timer(uv_timer_t* t);
  static void on_close(uv_handle_t* h);

  void handle_ciphertext(const char* data, size_t n);
  bool pump_plaintext();
  void flush();
  void start_write();
  void arm_timer();
  void linger(bool close_notify);
  void go_silent();
  void maybe_half_close();
  void maybe_stop_reading();

  Worker& w_;
  uv_tcp_t tcp_;
  uv_timer_t timer_;
  uv_write_t wreq_;
  uv_shutdown_t sreq_;
  TlsConn tls_;
  std::unique_ptr<H2Conn> h2_;
  std::string plain_out_;
  std::string out_;
  std::string inflight_;
  bool writing_ = false;
  bool half_closed_ = false;
  bool reading_ = false;
  bool stopped_reading_ = false;  // stop_reading fault: never read again, keep writing
  State state_ = State::kOpen;
  int open_handles_ = 0;
};

}  // namespace pushgw::sim
