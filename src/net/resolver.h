// Asynchronous host resolution (uv_getaddrinfo on libuv's thread pool) with
// a small cache, one per pool or Redis connection. Never blocks the loop thread.
#pragma once
#include <sys/socket.h>
#include <uv.h>

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace pushgw::net {

class Resolver {
 public:
  using Done = std::function<void(int status)>;  // 0 or a UV_EAI_* code; loop thread

  Resolver(uv_loop_t* loop, std::string host, uint16_t port);
  // Cancels a lookup in flight; its request is then freed without calling back.
  ~Resolver();
  Resolver(const Resolver&) = delete;
  Resolver& operator=(const Resolver&) = delete;

  // Starts a lookup (unless one is running). Returns 0, or a uv error when it
  // could not start (then done is not called). done never runs inside start().
  int start(Done done);
  // Asks libuv to cancel a lookup in flight (done then gets UV_EAI_CANCELED).
  void cancel();
  bool busy() const { return req_ != nullptr; }

  const std::vector<sockaddr_storage>& addresses() const { return addrs_; }
  int64_t resolved_at_ms() const { return resolved_at_ms_; }  // uv_now of the last success; 0 never

 private:
  struct Req;
  void on_done(int status, const addrinfo* res);

  uv_loop_t* loop_;
  std::string host_, port_;
  Req* req_ = nullptr;
  Done done_;
  std::vector<sockaddr_storage> addrs_;
  int64_t resolved_at_ms_ = 0;
};

}  // namespace pushgw::net
