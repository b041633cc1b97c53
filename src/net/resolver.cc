#include "net/resolver.h"

#include <netdb.h>

#include <cstring>

namespace pushgw::net {

struct Resolver::Req {
  uv_getaddrinfo_t req{};
  Resolver* owner = nullptr;
};

Resolver::Resolver(uv_loop_t* loop, std::string host, uint16_t port)
    : loop_(loop), host_(std::move(host)), port_(std::to_string(port)) {}

Resolver::~Resolver() {
  if (req_ != nullptr) {
    req_->owner = nullptr;
    uv_cancel(reinterpret_cast<uv_req_t*>(&req_->req));
  }
}

int Resolver::start(Done done) {
  if (req_ != nullptr) {
    done_ = std::move(done);
    return 0;
  }
  auto* r = new Req();
  r->owner = this;
  r->req.data = r;
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_protocol = IPPROTO_TCP;
  int rc = uv_getaddrinfo(
      loop_, &r->req,
      [](uv_getaddrinfo_t* g, int status, addrinfo* res) {
        auto* self = static_cast<Req*>(g->data);
        if (self->owner != nullptr) self->owner->on_done(status, res);
        uv_freeaddrinfo(res);
        delete self;
      },
      host_.c_str(), port_.c_str(), &hints);
  if (rc != 0) {
    delete r;
    return rc;
  }
  req_ = r;
  done_ = std::move(done);
  return 0;
}

void Resolver::cancel() {
  if (req_ != nullptr) uv_cancel(reinterpret_cast<uv_req_t*>(&req_->req));
}

void Resolver::on_done(int status, const addrinfo* res) {
  req_ = nullptr;
  if (status == 0) {
    addrs_.clear();
    for (const addrinfo* a = res; a != nullptr; a = a->ai_next) {
      if (a->ai_family != AF_INET && a->ai_family != AF_INET6) continue;
      sockaddr_storage ss{};
      memcpy(&ss, a->ai_addr, a->ai_addrlen);
      addrs_.push_back(ss);
    }
    if (addrs_.empty()) status = UV_EAI_NODATA;
    else resolved_at_ms_ = static_cast<int64_t>(uv_now(loop_));
  }
  Done d = std::move(done_);
  done_ = nullptr;
  if (d) d(status);
}

}  // namespace pushgw::net
