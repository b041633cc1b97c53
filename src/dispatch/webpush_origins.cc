#include "dispatch/webpush_origins.h"

#include <arpa/inet.h>
#include <netdb.h>

#include "base/authority.h"
#include "net/address.h"
#include "net/ip_class.h"

namespace pushgw::dispatch {

struct WebPushOrigins::Pending {
  uv_getaddrinfo_t req{};
  WebPushOrigins* self = nullptr;
  Entry* entry = nullptr;
  bool allow_private = false;
  std::shared_ptr<bool> alive;
};

WebPushOrigins::WebPushOrigins(uv_loop_t* loop, obs::Logger log, Settled settled)
    : loop_(loop), log_(std::move(log)), settled_(std::move(settled)) {}

WebPushOrigins::~WebPushOrigins() { *alive_ = false; }

namespace {
void split_origin(std::string_view origin, std::string& host, uint16_t& port) {
  base::Authority a;  // canonical "host:port" (base/authority.h); unparsable: empty host, never resolves
  base::parse_authority(origin, base::AuthorityRules{}, a);
  host.assign(a.host);
  port = a.port;
}
}  // namespace

WebPushOrigins::Entry& WebPushOrigins::lookup(uint16_t app_id, std::string_view origin, bool allow_private) {
  std::string key = std::to_string(app_id);
  key.push_back('|');
  key.append(origin);
  auto it = entries_.find(key);
  if (it != entries_.end()) return *it->second;
  auto e = std::make_unique<Entry>();
  split_origin(origin, e->host, e->port);
  Entry& ref = *e;
  entries_.emplace(std::move(key), std::move(e));

  net::IpClass c = net::classify_host(ref.host);
  if (c != net::IpClass::NotIp) {
    if (c == net::IpClass::Public || allow_private) {
      ref.state = State::Ready;
      ref.ip = c == net::IpClass::Loopback && !net::is_ip_literal(ref.host) ? "127.0.0.1" : ref.host;
    } else {
      ref.state = State::Refused;
      ref.reason = std::string(net::to_string(c)) + " address";
    }
    return ref;
  }
  auto* p = new Pending;
  p->self = this;
  p->entry = &ref;
  p->allow_private = allow_private;
  p->alive = alive_;
  p->req.data = p;
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  ++resolving_;
  int rc = uv_getaddrinfo(loop_, &p->req, on_resolved, ref.host.c_str(), nullptr, &hints);
  if (rc != 0) {
    --resolving_;
    delete p;
    ref.state = State::Refused;
    ref.reason = std::string("resolve failed: ") + uv_strerror(rc);
  }
  return ref;
}

std::vector<SendJob> WebPushOrigins::take_parked() {
  std::vector<SendJob> out;
  for (auto& [k, e] : entries_) {
    out.insert(out.end(), e->parked.begin(), e->parked.end());
    e->parked.clear();
  }
  return out;
}

void WebPushOrigins::on_resolved(uv_getaddrinfo_t* req, int status, struct addrinfo* res) {
  std::unique_ptr<Pending> p(static_cast<Pending*>(req->data));
  if (!*p->alive) {
    uv_freeaddrinfo(res);
    return;
  }
  WebPushOrigins* self = p->self;
  Entry& e = *p->entry;
  --self->resolving_;
  if (status != 0 || res == nullptr) {
    e.state = State::Refused;
    e.reason = std::string("resolve failed: ") + uv_strerror(status);
  } else {
    // Every address must pass, not just the first: a name that mixes public
    // and private answers is refused.
    bool all_public = true;
    for (addrinfo* a = res; a; a = a->ai_next)
      if (!net::is_public_address(a->ai_addr)) all_public = false;
    if (!all_public && !p->allow_private) {
      e.state = State::Refused;
      e.reason = "resolves to a non-public address";
    } else {
      char buf[INET6_ADDRSTRLEN] = {0};
      if (res->ai_family == AF_INET)
        inet_ntop(AF_INET, &reinterpret_cast<sockaddr_in*>(res->ai_addr)->sin_addr, buf, sizeof buf);
      else
        inet_ntop(AF_INET6, &reinterpret_cast<sockaddr_in6*>(res->ai_addr)->sin6_addr, buf, sizeof buf);
      e.state = State::Ready;
      e.ip = buf;
    }
  }
  uv_freeaddrinfo(res);
  if (e.state == State::Refused)
    PGW_LOG(self->log_, Warn, "web push origin %s refused: %s", e.host.c_str(), e.reason.c_str());
  self->settled_(e);
}

}  // namespace pushgw::dispatch
