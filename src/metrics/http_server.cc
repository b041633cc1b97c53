#include "metrics/http_server.h"

#include <netdb.h>
#include <sys/socket.h>

#include <algorithm>
#include <cstring>
#include <vector>

#include "base/authority.h"
#include "metrics/exposition.h"

namespace pushgw::metrics {
namespace {

struct Conn;

struct Response {
  int status;
  std::string_view reason;
  std::string_view content_type;
  std::string body;
  std::string_view extra_headers;  // each ending in \r\n
};

}  // namespace

struct MetricsServer::State {
  uv_loop_t* loop;
  Handlers handlers;
  Options opts;
  uv_tcp_t listener{};
  bool listener_open = false;     // initialized and not yet closing
  bool listener_closing = false;  // uv_close issued, callback pending
  bool closing = false;           // close() called: no new work
  bool finishing = false;         // inside maybe_finish's callbacks
  bool owner_gone = false;        // ~MetricsServer ran: delete when done
  std::vector<Conn*> conns;
  std::vector<std::function<void()>> on_closed;

  void close_listener();
  void maybe_finish();
};

namespace {

using State = MetricsServer::State;

struct Conn {
  State* server = nullptr;
  uv_tcp_t tcp{};
  uv_timer_t timer{};
  uv_write_t write_req{};
  uv_shutdown_t shutdown_req{};
  std::string in;
  std::string head, body;
  int open_handles = 0;
  bool closing = false;
  bool responded = false;
  char rbuf[4096];
};

uv_handle_t* as_handle(void* h) { return static_cast<uv_handle_t*>(h); }
uv_stream_t* as_stream(uv_tcp_t* t) { return reinterpret_cast<uv_stream_t*>(t); }

void on_conn_handle_closed(uv_handle_t* h) {
  auto* c = static_cast<Conn*>(h->data);
  if (--c->open_handles > 0) return;
  State* st = c->server;
  st->conns.erase(std::find(st->conns.begin(), st->conns.end(), c));
  delete c;
  st->maybe_finish();
}

void close_conn(Conn* c) {
  if (c->closing) return;
  c->closing = true;
  uv_timer_stop(&c->timer);
  uv_close(as_handle(&c->tcp), on_conn_handle_closed);
  uv_close(as_handle(&c->timer), on_conn_handle_closed);
}

void on_alloc(uv_handle_t* h, size_t, uv_buf_t* buf) {
  auto* c = static_cast<Conn*>(h->data);
  *buf = uv_buf_init(c->rbuf, sizeof c->rbuf);
}

void on_shutdown(uv_shutdown_t* req, int status);

void on_write(uv_write_t* req, int status) {
  auto* c = static_cast<Conn*>(req->data);
  if (c->closing) return;
  c->shutdown_req.data = c;
  if (status < 0 || uv_shutdown(&c->shutdown_req, as_stream(&c->tcp), on_shutdown) != 0) close_conn(c);
}

void send_response(Conn* c, Response r, bool head_only) {
  c->responded = true;
  uv_read_stop(as_stream(&c->tcp));
  c->head = "HTTP/1.1 " + std::to_string(r.status) + " ";
  c->head.append(r.reason);
  c->head += "\r\nContent-Type: ";
  c->head.append(r.content_type);
  c->head += "\r\nContent-Length: " + std::to_string(r.body.size()) + "\r\nConnection: close\r\n";
  c->head.append(r.extra_headers);
  c->head += "\r\n";
  c->body = head_only ? std::string() : std::move(r.body);
  uv_buf_t bufs[2] = {uv_buf_init(c->head.data(), static_cast<unsigned>(c->head.size())),
                      uv_buf_init(c->body.data(), static_cast<unsigned>(c->body.size()))};
  c->write_req.data = c;
  if (uv_write(&c->write_req, as_stream(&c->tcp), bufs, c->body.empty() ? 1 : 2, on_write) != 0) close_conn(c);
}

Response plain(int status, std::string_view reason, std::string body, std::string_view extra = {}) {
  return Response{status, reason, "text/plain; charset=utf-8", std::move(body), extra};
}

// Handlers are user code: no exception may cross into libuv.
Response route(State* st, std::string_view path) {
  try {
    if (path == "/metrics") return Response{200, "OK", kTextContentType, st->handlers.metrics(), {}};
    if (path == "/healthz") {
      const bool ok = !st->handlers.healthy || st->handlers.healthy();
      return ok ? plain(200, "OK", "ok\n") : plain(503, "Service Unavailable", "unhealthy\n");
    }
    return plain(404, "Not Found", "not found\n");
  } catch (const std::exception& e) {
    PGW_LOG(st->opts.log, Error, "metrics: handler for %.*s failed: %s", static_cast<int>(path.size()),
            path.data(), e.what());
    return plain(500, "Internal Server Error", "internal error\n");
  }
}

// head: the request up to (not including) the blank line.
void handle_request(Conn* c, std::string_view head) {
  const std::string_view line = head.substr(0, head.find_first_of("\r\n"));
  const auto sp1 = line.find(' ');
  const auto sp2 = sp1 == std::string_view::npos ? sp1 : line.find(' ', sp1 + 1);
  if (sp2 == std::string_view::npos || line.find(' ', sp2 + 1) != std::string_view::npos ||
      line.substr(sp2 + 1).substr(0, 7) != "HTTP/1.") {
    send_response(c, plain(400, "Bad Request", "bad request\n"), false);
    return;
  }
  const std::string_view method = line.substr(0, sp1);
  std::string_view target = line.substr(sp1 + 1, sp2 - sp1 - 1);
  if (method != "GET" && method != "HEAD") {
    send_response(c, plain(405, "Method Not Allowed", "method not allowed\n", "Allow: GET, HEAD\r\n"), false);
    return;
  }
  target = target.substr(0, target.find('?'));
  send_response(c, route(c->server, target), method == "HEAD");
}

void on_read(uv_stream_t* s, ssize_t nread, const uv_buf_t* buf) {
  auto* c = static_cast<Conn*>(s->data);
  if (nread < 0) {  // EOF or error: nothing more to do either way
    close_conn(c);
    return;
  }
  if (nread == 0 || c->responded || c->server->closing) return;  // lingering reads are discarded
  c->in.append(buf->base, static_cast<size_t>(nread));
  const std::size_t max = c->server->opts.max_request_bytes;
  std::size_t end = c->in.find("\r\n\r\n");
  if (end == std::string::npos) end = c->in.find("\n\n");
  if (end != std::string::npos && end <= max) {
    handle_request(c, std::string_view(c->in).substr(0, end));
  } else if (c->in.size() > max) {
    send_response(c, plain(431, "Request Header Fields Too Large", "request too large\n"), false);
  }
}

// After our FIN, read until the client's: closing with unread input would
// reset the connection and could destroy the response in flight.
void on_shutdown(uv_shutdown_t* req, int status) {
  auto* c = static_cast<Conn*>(req->data);
  if (c->closing) return;
  if (status < 0 || uv_read_start(as_stream(&c->tcp), on_alloc, on_read) != 0) close_conn(c);
}

void reject_connection(uv_stream_t* listener) {
  auto* t = new uv_tcp_t;
  uv_tcp_init(listener->loop, t);
  uv_accept(listener, as_stream(t));  // accept so the backlog drains, then drop
  uv_close(as_handle(t), [](uv_handle_t* h) { delete reinterpret_cast<uv_tcp_t*>(h); });
}

void on_connection(uv_stream_t* listener, int status) {
  auto* st = static_cast<State*>(listener->data);
  if (status < 0) {
    PGW_LOG(st->opts.log, Warn, "metrics: accept: %s", uv_strerror(status));
    return;
  }
  if (st->closing || st->conns.size() >= st->opts.max_connections) {
    reject_connection(listener);
    return;
  }
  auto* c = new Conn;
  c->server = st;
  st->conns.push_back(c);
  c->tcp.data = c;
  c->timer.data = c;
  uv_tcp_init(st->loop, &c->tcp);
  uv_timer_init(st->loop, &c->timer);
  c->open_handles = 2;
  uv_unref(as_handle(&c->tcp));
  uv_unref(as_handle(&c->timer));
  if (uv_accept(listener, as_stream(&c->tcp)) != 0) {
    close_conn(c);
    return;
  }
  uv_timer_start(&c->timer, [](uv_timer_t* t) { close_conn(static_cast<Conn*>(t->data)); },
                 st->opts.timeout_ms, 0);
  if (uv_read_start(as_stream(&c->tcp), on_alloc, on_read) != 0) close_conn(c);
}

}  // namespace

void MetricsServer::State::close_listener() {
  if (!listener_open) return;
  listener_open = false;
  listener_closing = true;
  uv_close(as_handle(&listener), [](uv_handle_t* h) {
    auto* st = static_cast<State*>(h->data);
    st->listener_closing = false;
    st->maybe_finish();
  });
}

void MetricsServer::State::maybe_finish() {
  if (!closing || finishing || listener_closing || !conns.empty()) return;
  finishing = true;
  auto callbacks = std::move(on_closed);
  on_closed.clear();
  for (auto& cb : callbacks) {
    if (cb) cb();  // may destroy the MetricsServer: owner_gone is then set
  }
  finishing = false;
  if (owner_gone) delete this;
}

// ---- MetricsServer -------------------------------------------------------

MetricsServer::MetricsServer(uv_loop_t* loop, Handlers handlers, Options options)
    : state_(new State{loop, std::move(handlers), std::move(options)}) {}

MetricsServer::~MetricsServer() {
  State* st = state_;
  state_ = nullptr;
  st->owner_gone = true;
  st->closing = true;
  st->close_listener();
  for (Conn* c : std::vector<Conn*>(st->conns)) close_conn(c);
  st->maybe_finish();  // deletes st now if nothing is open
}

Result<void> MetricsServer::listen(std::string_view address) {
  State* st = state_;
  if (address.empty()) return ok();
  if (st->listener_open || st->listener_closing || st->closing) {
    return make_error("metrics_listen", "metrics server already listening or closing");
  }
  const std::string what(address);
  base::Authority a;
  if (base::parse_authority(address, base::kListenAddress, a) != base::UrlError::None) {
    return make_error("metrics_address", what + ": expected \"host:port\" or \"[addr]:port\"");
  }
  const std::string host(a.host);
  const uint16_t port = a.port;
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_NUMERICSERV;
  addrinfo* res = nullptr;
  const std::string service = std::to_string(port);
  if (int rc = getaddrinfo(host.c_str(), service.c_str(), &hints, &res); rc != 0 || res == nullptr) {
    return make_error("metrics_address", what + ": " + gai_strerror(rc));
  }
  uv_tcp_init(st->loop, &st->listener);
  st->listener.data = st;
  st->listener_open = true;
  uv_unref(as_handle(&st->listener));
  int rc = uv_tcp_bind(&st->listener, res->ai_addr, 0);
  freeaddrinfo(res);
  if (rc == 0) rc = uv_listen(as_stream(&st->listener), 64, on_connection);
  if (rc != 0) {
    st->close_listener();
    return make_error("metrics_listen", what + ": " + uv_strerror(rc));
  }
  return ok();
}

bool MetricsServer::listening() const { return state_->listener_open; }

uint16_t MetricsServer::port() const {
  if (!state_->listener_open) return 0;
  sockaddr_storage ss{};
  int len = sizeof ss;
  if (uv_tcp_getsockname(&state_->listener, reinterpret_cast<sockaddr*>(&ss), &len) != 0) return 0;
  if (ss.ss_family == AF_INET) return ntohs(reinterpret_cast<sockaddr_in*>(&ss)->sin_port);
  if (ss.ss_family == AF_INET6) return ntohs(reinterpret_cast<sockaddr_in6*>(&ss)->sin6_port);
  return 0;
}

std::size_t MetricsServer::connections() const { return state_->conns.size(); }

void MetricsServer::close(std::function<void()> done) {
  State* st = state_;
  st->closing = true;
  if (done) st->on_closed.push_back(std::move(done));
  st->close_listener();
  for (Conn* c : std::vector<Conn*>(st->conns)) close_conn(c);
  st->maybe_finish();
}

}  // namespace pushgw::metrics
