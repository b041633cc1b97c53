#include "admin.h"

#include <charconv>

#include "base/ascii.h"
#include "json_out.h"
#include <arpa/inet.h>

namespace pushgw::sim {

namespace {

constexpr size_t kMaxHeaderBytes = 64 * 1024;
constexpr size_t kMaxBodyBytes = 1 << 20;

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) s.remove_suffix(1);
  return s;
}

// Value of `name` in a query string ("a=1&b=2"); no percent-decoding needed
// for the values we take (platform names).
std::string_view query_param(std::string_view query, std::string_view name) {
  while (!query.empty()) {
    auto amp = query.find('&');
    std::string_view kv = query.substr(0, amp);
    query = amp == std::string_view::npos ? std::string_view() : query.substr(amp + 1);
    auto eq = kv.find('=');
    if (kv.substr(0, eq) == name) return eq == std::string_view::npos ? std::string_view() : kv.substr(eq + 1);
  }
  return {};
}

AdminResponse error(int status, std::string_view message) {
  AdminResponse r;
  r.status = status;
  r.body = "{\"error\":";
  json_append_string(r.body, message);
  r.body += '}';
  return r;
}

AdminResponse ok_json(std::string body) {
  AdminResponse r;
  r.body = std::move(body);
  return r;
}

const char* reason_phrase(int status) {
  switch (status) {
    case 200: return "OK";
    case 400: return "Bad Request";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 413: return "Payload Too Large";
    default: return "Error";
  }
}

}  // namespace

AdminParse parse_admin_request(std::string_view buf, AdminRequest& out) {
  size_t end = buf.find("\r\n\r\n");
  if (end == std::string_view::npos) return buf.size() > kMaxHeaderBytes ? AdminParse::kTooLarge : AdminParse::kIncomplete;
  std::string_view head = buf.substr(0, end);
  size_t eol = head.find("\r\n");
  std::string_view line = head.substr(0, eol);
  size_t sp1 = line.find(' ');
  size_t sp2 = sp1 == std::string_view::npos ? sp1 : line.find(' ', sp1 + 1);
  if (sp2 == std::string_view::npos || !line.substr(sp2 + 1).starts_with("HTTP/1.")) return AdminParse::kBad;
  out.method.assign(line.substr(0, sp1));
  out.target.assign(line.substr(sp1 + 1, sp2 - sp1 - 1));
  size_t content_length = 0;
  std::string_view rest = eol == std::string_view::npos ? std::string_view() : head.substr(eol + 2);
  while (!rest.empty()) {
    size_t e = rest.find("\r\n");
    std::string_view h = rest.substr(0, e);
    rest = e == std::string_view::npos ? std::string_view() : rest.substr(e + 2);
    size_t colon = h.find(':');
    if (colon == std::string_view::npos) return AdminParse::kBad;
    if (base::iequals(trim(h.substr(0, colon)), "content-length")) {
      std::string_view v = trim(h.substr(colon + 1));
      auto r = std::from_chars(v.data(), v.data() + v.size(), content_length);
      if (r.ec != std::errc() || r.ptr != v.data() + v.size()) return AdminParse::kBad;
    } else if (base::iequals(trim(h.substr(0, colon)), "transfer-encoding")) {
      return AdminParse::kBad;  // chunked bodies are not needed by any admin call
    }
  }
  if (content_length > kMaxBodyBytes) return AdminParse::kTooLarge;
  if (buf.size() - end - 4 < content_length) return AdminParse::kIncomplete;
  out.body.assign(buf.substr(end + 4, content_length));
  return AdminParse::kDone;
}

AdminResponse handle_admin(SimCore& core, const AdminRequest& req) {
  std::string_view target = req.target;
  auto q = target.find('?');
  std::string_view path = target.substr(0, q);
  std::string_view query = q == std::string_view::npos ? std::string_view() : target.substr(q + 1);
  const bool get = req.method == "GET", post = req.method == "POST";

  if (path == "/stats" && get) return ok_json(render_stats_json(core.stats, core.records));
  if (path == "/tokens" && get) {
    Platform p;
    if (!parse_platform(query_param(query, "platform"), p))
      return error(400, "platform must be apns, fcm or webpush");
    if (!core.records.per_key()) return error(409, "--sink keeps no per-token records");
    return ok_json(core.records.to_json(p));
  }
  if (path == "/reset" && post) {
    core.reset();
    return ok_json("{\"ok\":true}");
  }
  if (path == "/faults" && post) {
    auto f = parse_faults(req.body);
    if (!f) return error(400, f.error().message);
    core.faults.set(std::move(f.value()));
    return ok_json("{\"ok\":true}");
  }
  if (path == "/faults" && get) {
    AdminResponse r;
    r.content_type = "text/plain";
    r.body = core.faults.get().to_text();
    return r;
  }
  if (path == "/webpush/messages" && get) return ok_json(core.webpush.messages_json());
  if (path == "/expire-fcm-tokens" && post) {
    core.fcm.expire_tokens();
    return ok_json("{\"ok\":true}");
  }
  if (path == "/health" && get) return ok_json("{\"ok\":true}");
  if (path == "/stats" || path == "/tokens" || path == "/reset" || path == "/faults" || path == "/health" ||
      path == "/webpush/messages" || path == "/expire-fcm-tokens")
    return error(405, "method not allowed");
  return error(404, "no such admin endpoint");
}

std::string serialize_admin_response(const AdminResponse& r) {
  std::string out = "HTTP/1.1 ";
  out += std::to_string(r.status);
  out += ' ';
  out += reason_phrase(r.status);
  out += "\r\ncontent-type: ";
  out += r.content_type;
  out += "\r\ncontent-length: ";
  out += std::to_string(r.body.size());
  out += "\r\nconnection: close\r\n\r\n";
  out += r.body;
  return out;
}

struct AdminServer::Conn {
  AdminServer* server;
  uv_tcp_t tcp;
  uv_write_t wreq;
  std::string in;
  std::string out;
  bool closing = false;
};

Result<uint16_t> AdminServer::listen(const std::string& host, uint16_t port) {
  sockaddr_storage ss{};
  if (uv_ip4_addr(host.c_str(), port, reinterpret_cast<sockaddr_in*>(&ss)) != 0 &&
      uv_ip6_addr(host.c_str(), port, reinterpret_cast<sockaddr_in6*>(&ss)) != 0)
    return make_error("bad_listen", "not an IP address: " + host);
  uv_tcp_init(loop_, &listener_);
  listener_.data = this;
  listening_ = true;
  if (uv_tcp_bind(&listener_, reinterpret_cast<sockaddr*>(&ss), 0) != 0 ||
      uv_listen(reinterpret_cast<uv_stream_t*>(&listener_), 128, on_connection) != 0)
    return make_error("bad_listen", "cannot listen on admin " + host + ":" + std::to_string(port));
  sockaddr_storage bound{};
  int blen = sizeof bound;
  uv_tcp_getsockname(&listener_, reinterpret_cast<sockaddr*>(&bound), &blen);
  if (bound.ss_family == AF_INET) return ntohs(reinterpret_cast<sockaddr_in*>(&bound)->sin_port);
  return ntohs(reinterpret_cast<sockaddr_in6*>(&bound)->sin6_port);
}

void AdminServer::close() {
  if (listening_) uv_close(reinterpret_cast<uv_handle_t*>(&listener_), nullptr);
  listening_ = false;
  for (Conn* c : std::unordered_set<Conn*>(conns_)) close_conn(c);
}

void AdminServer::close_conn(Conn* c) {
  if (c->closing) return;
  c->closing = true;
  uv_close(reinterpret_cast<uv_handle_t*>(&c->tcp), on_close);
}

void AdminServer::on_close(uv_handle_t* h) {
  auto* c = static_cast<Conn*>(h->data);
  c->server->conns_.erase(c);
  delete c;
}

void AdminServer::on_connection(uv_stream_t* server, int status) {
  auto* self = static_cast<AdminServer*>(server->data);
  if (status < 0) return;
  auto* c = new Conn{self, {}, {}, {}, {}, false};
  uv_tcp_init(self->loop_, &c->tcp);
  c->tcp.data = c;
  self->conns_.insert(c);
  if (uv_accept(server, reinterpret_cast<uv_stream_t*>(&c->tcp)) != 0 ||
      uv_read_start(reinterpret_cast<uv_stream_t*>(&c->tcp), on_alloc, on_read) != 0)
    self->close_conn(c);
}

void AdminServer::on_alloc(uv_handle_t*, size_t suggested, uv_buf_t* buf) {
  buf->base = new char[suggested];
  buf->len = suggested;
}

void AdminServer::on_read(uv_stream_t* s, ssize_t nread, const uv_buf_t* buf) {
  auto* c = static_cast<Conn*>(s->data);
  if (nread > 0) c->in.append(buf->base, static_cast<size_t>(nread));
  delete[] buf->base;
  if (c->closing) return;
  if (nread < 0) {
    c->server->close_conn(c);
    return;
  }
  AdminRequest req;
  AdminResponse resp;
  switch (parse_admin_request(c->in, req)) {
    case AdminParse::kIncomplete: return;
    case AdminParse::kBad: resp = error(400, "malformed HTTP request"); break;
    case AdminParse::kTooLarge: resp = error(413, "request too large"); break;
    case AdminParse::kDone: resp = handle_admin(c->server->core_, req); break;
  }
  uv_read_stop(s);
  c->out = serialize_admin_response(resp);
  uv_buf_t b = uv_buf_init(c->out.data(), static_cast<unsigned>(c->out.size()));
  c->wreq.data = c;
  if (uv_write(&c->wreq, s, &b, 1, on_write) != 0) c->server->close_conn(c);
}

void AdminServer::on_write(uv_write_t* req, int) {
  auto* c = static_cast<Conn*>(req->data);
  c->server->close_conn(c);
}

}  // namespace pushgw::sim
