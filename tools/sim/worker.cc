#include "worker.h"

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>


#include "connection.h"

namespace pushgw::sim {

Worker::Worker(SimCore& core, const TlsContexts& tls, H2Options h2)
    : core_(core), tls_(tls), h2_(h2), ctx_(core.clock) {
  uv_loop_init(&loop_);
  uv_async_init(&loop_, &stop_async_, on_stop);
  stop_async_.data = this;
}

Worker::~Worker() { uv_loop_close(&loop_); }

Result<uint16_t> Worker::listen(const std::string& host, uint16_t port, bool reuseport) {
  sockaddr_storage ss{};
  auto* sa = reinterpret_cast<sockaddr*>(&ss);
  int family = AF_INET;
  if (uv_ip4_addr(host.c_str(), port, reinterpret_cast<sockaddr_in*>(&ss)) != 0) {
    if (uv_ip6_addr(host.c_str(), port, reinterpret_cast<sockaddr_in6*>(&ss)) != 0)
      return make_error("bad_listen", "not an IP address: " + host);
    family = AF_INET6;
  }
  // Our own socket so SO_REUSEPORT can be set before bind (libuv 1.44 cannot).
  int fd = socket(family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return make_error("bad_listen", "socket() failed");
  int one = 1;
  setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  if (reuseport) setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof one);
  socklen_t len = family == AF_INET ? sizeof(sockaddr_in) : sizeof(sockaddr_in6);
  if (bind(fd, sa, len) != 0) {
    close(fd);
    return make_error("bad_listen", "cannot bind " + host + ":" + std::to_string(port));
  }
  uv_tcp_init(&loop_, &listener_);
  listener_.data = this;
  listening_ = true;
  if (uv_tcp_open(&listener_, fd) != 0) {
    close(fd);
    return make_error("bad_listen", "uv_tcp_open failed");
  }
  if (int r = uv_listen(reinterpret_cast<uv_stream_t*>(&listener_), 4096, on_connection); r != 0)
    return make_error("bad_listen", std::string("listen: ") + uv_strerror(r));
  sockaddr_storage bound{};
  int blen = sizeof bound;
  uv_tcp_getsockname(&listener_, reinterpret_cast<sockaddr*>(&bound), &blen);
  if (bound.ss_family == AF_INET) return ntohs(reinterpret_cast<sockaddr_in*>(&bound)->sin_port);
  return ntohs(reinterpret_cast<sockaddr_in6*>(&bound)->sin6_port);
}

void Worker::on_connection(uv_stream_t* server, int status) {
  auto* self = static_cast<Worker*>(server->data);
  if (status < 0) return;
  SimCore& core = self->core_;
  SSL_CTX* ctx = self->tls_.good.get();
  if (core.faults.generation() != 0 && core.faults.get().bad_tls) ctx = self->tls_.bad.get();
  auto* c = new Connection(*self, ctx);
  if (uv_accept(server, reinterpret_cast<uv_stream_t*>(c->tcp())) != 0) {
    c->close_now();
    return;
  }
  bump(core.stats.connections_accepted);
  if (core.faults.refusing()) {
    bump(core.stats.connections_refused);
    c->close_now();
    return;
  }
  c->start();
}

void Worker::run() { uv_run(&loop_, UV_RUN_DEFAULT); }

void Worker::stop() { uv_async_send(&stop_async_); }

void Worker::on_stop(uv_async_t* a) {
  auto* self = static_cast<Worker*>(a->data);
  if (self->on_stop_) self->on_stop_();
  if (self->listening_) uv_close(reinterpret_cast<uv_handle_t*>(&self->listener_), nullptr);
  self->listening_ = false;
  // close_now() only schedules closes; the set changes in close callbacks later.
  for (Connection* c : std::unordered_set<Connection*>(self->conns_)) c->close_now();
  uv_close(reinterpret_cast<uv_handle_t*>(&self->stop_async_), nullptr);
}

}  // namespace pushgw::sim
