#include "metrics/http_server.h"

#include <netdb.h>
#include <sys/socket.h>

#include <algorithm>
#include <cstring>
#include <vector>

#include "base/authority.h"
#include "loop/deferred_delete.h"
#include "loop/timer.h"
#include "metrics/exposition.h"

namespace pushgw::metrics {
namespace {

struct Response {
  int status;
  std::string_view reason;
  std::string_view content_type;
  std::string body;
  std::string_view extra_headers;  // each ending in \r\n
};

Response plain(int status, std::string_view reason, std::string body, std::string_view extra = {}) {
  return Response{status, reason, "text/plain; charset=utf-8", std::move(body), extra};
}

// Handlers are user code: no exception may cross into libuv. They run as
// copies (and log is a copy) so that a handler may destroy the server.
Response route(MetricsServer::Handlers handlers, obs::Logger log, std::string_view path) {
  try {
    if (path == "/metrics") return Response{200, "OK", kTextContentType, handlers.metrics(), {}};
    if (path == "/healthz") {
      if (handlers.healthy && !handlers.healthy()) return plain(503, "Service Unavailable", "unhealthy\n");
      std::string problem = handlers.problem ? handlers.problem() : std::string();
      if (!problem.empty()) return plain(503, "Service Unavailable", "unhealthy: " + problem + "\n");
      return plain(200, "OK", "ok\n");
    }
    return plain(404, "Not Found", "not found\n");
  } catch (const std::exception& e) {
    PGW_LOG(log, Error, "metrics: handler for %.*s failed: %s", static_cast<int>(path.size()), path.data(),
            e.what());
    return plain(500, "Internal Server Error", "internal error\n");
  }
}

}  // namespace

// One connection: read the request head, answer, send FIN, read until the
// client's FIN (closing with unread input would reset the connection and
// could destroy the answer in flight), all within timeout_ms.
class MetricsServer::Conn final : public loop::Deletable {
 public:
  Conn(MetricsServer& srv, uv_loop_t* loop) : srv_(srv), tcp_(loop), timer_(loop, [this] { close(); }) {
    tcp_.unref();
    timer_.unref();
  }
  loop::TcpStream& stream() { return tcp_; }

  // Still waiting for its request head: may give way to a new client.
  bool idle() const { return !responded_ && !closing_; }
  uint64_t order() const { return order_; }  // accept order: lower is older

  void start() {
    order_ = srv_.accepted_++;
    timer_.start(std::min(srv_.opts_.head_timeout_ms, srv_.opts_.timeout_ms));
    read([this](const char* p, size_t n) { on_data(p, n); });
  }

  void close() {
    if (closing_) return;
    closing_ = true;
    tcp_.close();
    timer_.close();
    srv_.retire(*this);
  }

 private:
  void read(loop::TcpStream::OnData on_data) {
    if (tcp_.read_start(rbuf_, sizeof rbuf_, std::move(on_data), [this](int) { close(); }) != 0) close();
  }

  void on_data(const char* p, size_t n) {
    if (responded_ || srv_.closing_) return;  // lingering reads are discarded
    in_.append(p, n);
    const std::size_t max = srv_.opts_.max_request_bytes;
    std::size_t end = in_.find("\r\n\r\n");
    if (end == std::string::npos) end = in_.find("\n\n");
    if (end != std::string::npos && end <= max) {
      handle_request(std::string_view(in_).substr(0, end));
    } else if (in_.size() > max) {
      send_response(plain(431, "Request Header Fields Too Large", "request too large\n"), false);
    }
  }

  // head: the request up to (not including) the blank line. After route()
  // the server may be gone (a handler may destroy it): only this
  // connection's members are used from there on.
  void handle_request(std::string_view head) {
    const std::string_view line = head.substr(0, head.find_first_of("\r\n"));
    const auto sp1 = line.find(' ');
    const auto sp2 = sp1 == std::string_view::npos ? sp1 : line.find(' ', sp1 + 1);
    if (sp2 == std::string_view::npos || line.find(' ', sp2 + 1) != std::string_view::npos ||
        line.substr(sp2 + 1).substr(0, 7) != "HTTP/1.") {
      send_response(plain(400, "Bad Request", "bad request\n"), false);
      return;
    }
    const std::string_view method = line.substr(0, sp1);
    std::string_view target = line.substr(sp1 + 1, sp2 - sp1 - 1);
    if (method != "GET" && method != "HEAD") {
      send_response(plain(405, "Method Not Allowed", "method not allowed\n", "Allow: GET, HEAD\r\n"), false);
      return;
    }
    target = target.substr(0, target.find('?'));
    Response r = route(srv_.handlers_, srv_.opts_.log, target);
    if (closing_) return;  // the handler destroyed the server, which closed this connection
    send_response(std::move(r), method == "HEAD");
  }

  void send_response(Response r, bool head_only) {
    responded_ = true;
    timer_.start(srv_.opts_.timeout_ms);  // the answer gets its own time
    tcp_.read_stop();
    out_ = "HTTP/1.1 " + std::to_string(r.status) + " ";
    out_.append(r.reason);
    out_ += "\r\nContent-Type: ";
    out_.append(r.content_type);
    out_ += "\r\nContent-Length: " + std::to_string(r.body.size()) + "\r\nConnection: close\r\n";
    out_.append(r.extra_headers);
    out_ += "\r\n";
    if (!head_only) out_ += r.body;
    if (tcp_.write(out_, [this](int status) { on_written(status); }) != 0) close();
  }

  void on_written(int status) {
    const int rc = status < 0 ? status : tcp_.shutdown([this](int st) {
      if (st < 0) close();
      else read([](const char*, size_t) {});  // until the client's FIN
    });
    if (rc != 0) close();
  }

  MetricsServer& srv_;  // valid while any callback of tcp_ or timer_ can run
  loop::TcpStream tcp_;
  loop::Timer timer_;
  std::string in_, out_;
  bool responded_ = false;
  bool closing_ = false;
  uint64_t order_ = 0;
  char rbuf_[4096];
};

MetricsServer::MetricsServer(uv_loop_t* loop, Handlers handlers, Options options)
    : loop_(loop), handlers_(std::move(handlers)), opts_(std::move(options)) {}

// Connections close now (no callback reaches this object any more) and are
// deleted on the next turn: this may run inside one of their callbacks.
MetricsServer::~MetricsServer() {
  listener_.reset();
  auto conns = std::move(conns_);
  for (auto& [key, c] : conns) {
    c->close();
    loop::delete_later(loop_, std::move(c));
  }
}

Result<void> MetricsServer::listen(std::string_view address) {
  if (address.empty()) return ok();
  if (listener_ != nullptr || closing_) {
    return make_error("metrics_listen", "metrics server already listening or closing");
  }
  const std::string what(address);
  base::Authority a;
  if (base::parse_authority(address, base::kListenAddress, a) != base::UrlError::None) {
    return make_error("metrics_address", what + ": expected \"host:port\" or \"[addr]:port\"");
  }
  const std::string host(a.host);
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_NUMERICSERV;
  addrinfo* res = nullptr;
  const std::string service = std::to_string(a.port);
  if (int rc = getaddrinfo(host.c_str(), service.c_str(), &hints, &res); rc != 0 || res == nullptr) {
    return make_error("metrics_address", what + ": " + gai_strerror(rc));
  }
  listener_ = std::make_unique<loop::TcpStream>(loop_);
  listener_->unref();
  int rc = uv_tcp_bind(listener_->handle(), res->ai_addr, 0);
  freeaddrinfo(res);
  if (rc == 0) rc = listener_->listen(64, [this](int status) { on_connection(status); });
  if (rc != 0) {
    listener_.reset();
    return make_error("metrics_listen", what + ": " + uv_strerror(rc));
  }
  return ok();
}

void MetricsServer::on_connection(int status) {
  if (status < 0) {
    PGW_LOG(opts_.log, Warn, "metrics: accept: %s", uv_strerror(status));
    return;
  }
  auto c = std::make_unique<Conn>(*this, loop_);
  // Past the limit (or closing): accept so the backlog drains, then drop,
  // unless an idle client gives way.
  if (listener_->accept(c->stream()) != 0 || closing_) return;
  if (conns_.size() >= opts_.max_connections && !evict_idle()) return;
  Conn& ref = *c;
  conns_.emplace(&ref, std::move(c));
  ref.start();
}

bool MetricsServer::evict_idle() {
  Conn* oldest = nullptr;
  for (auto& [key, c] : conns_)
    if (c->idle() && (oldest == nullptr || c->order() < oldest->order())) oldest = c.get();
  if (oldest == nullptr) return false;
  oldest->close();  // retires it
  return true;
}

void MetricsServer::retire(Conn& c) {
  auto it = conns_.find(&c);
  if (it == conns_.end()) return;
  loop::delete_later(loop_, std::move(it->second));
  conns_.erase(it);
}

bool MetricsServer::listening() const { return listener_ != nullptr; }

uint16_t MetricsServer::port() const {
  if (listener_ == nullptr) return 0;
  sockaddr_storage ss{};
  int len = sizeof ss;
  if (uv_tcp_getsockname(listener_->handle(), reinterpret_cast<sockaddr*>(&ss), &len) != 0) return 0;
  if (ss.ss_family == AF_INET) return ntohs(reinterpret_cast<sockaddr_in*>(&ss)->sin_port);
  if (ss.ss_family == AF_INET6) return ntohs(reinterpret_cast<sockaddr_in6*>(&ss)->sin6_port);
  return 0;
}

std::size_t MetricsServer::connections() const { return conns_.size(); }

void MetricsServer::close(std::function<void()> done) {
  closing_ = true;
  std::vector<Conn*> open;
  for (auto& [key, c] : conns_) open.push_back(c.get());
  for (Conn* c : open) c->close();
  std::unique_ptr<loop::TcpStream> l = std::move(listener_);
  if (l != nullptr) l->close(std::move(done));
  else if (done) done();
}

}  // namespace pushgw::metrics
