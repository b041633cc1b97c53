#include "redis/connection.h"

#include <arpa/inet.h>
#include <hiredis/async.h>
#include <hiredis/hiredis.h>

#include "net/resolver.h"
#include "redis/uv_adapter.h"

namespace pushgw::redis {

// A command's callback travels through hiredis as privdata.
struct Connection::Pending {
  Callback cb;
};

Connection::Connection(uv_loop_t* loop, Options opts, const Clock& clock, obs::Logger log,
                       std::function<void()> on_ready, std::function<void()> on_down)
    : loop_(loop),
      opts_(std::move(opts)),
      log_(std::move(log)),
      on_ready_(std::move(on_ready)),
      on_down_(std::move(on_down)),
      backoff_(base::BackoffOptions{100, 5000}, base::make_default_rng(), clock),
      bounds_(opts_.limits),
      retry_timer_(loop, [this] { attempt(); }),
      connect_timer_(loop, [this] { failed("no answer within " + std::to_string(opts_.connect_timeout_ms) + " ms"); }) {}

Connection::~Connection() { close(); }

void Connection::start() {
  if (state_ == State::Idle) attempt();
}

void Connection::attempt() {
  if (state_ == State::Closed) return;
  connect_timer_.start(static_cast<uint64_t>(opts_.connect_timeout_ms));
  const RedisEndpoint& ep = opts_.endpoint;
  if (!ep.unix_path.empty()) {
    connect_to("");
    return;
  }
  in6_addr probe{};
  if (inet_pton(AF_INET, ep.host.c_str(), &probe) == 1 || inet_pton(AF_INET6, ep.host.c_str(), &probe) == 1) {
    connect_to(ep.host);
    return;
  }
  // A host name: hiredis would call getaddrinfo() on this thread; resolve on
  // libuv's pool first and hand hiredis a literal.
  state_ = State::Resolving;
  if (!resolver_) resolver_ = std::make_unique<net::Resolver>(loop_, ep.host, ep.port);
  const int rc = resolver_->start([this](int status) {
    if (state_ != State::Resolving) return;
    if (status != 0) {
      failed(std::string("resolve ") + opts_.endpoint.host + ": " + uv_strerror(status));
      return;
    }
    const sockaddr_storage& ss = resolver_->addresses().front();
    char ip[INET6_ADDRSTRLEN] = {0};
    if (ss.ss_family == AF_INET6)
      uv_ip6_name(reinterpret_cast<const sockaddr_in6*>(&ss), ip, sizeof ip);
    else
      uv_ip4_name(reinterpret_cast<const sockaddr_in*>(&ss), ip, sizeof ip);
    connect_to(ip);
  });
  if (rc != 0) failed(std::string("resolve: ") + uv_strerror(rc));
}

void Connection::connect_to(const std::string& ip) {
  const RedisEndpoint& ep = opts_.endpoint;
  redisAsyncContext* ac = ep.unix_path.empty() ? redisAsyncConnect(ip.c_str(), ep.port)
                                               : redisAsyncConnectUnix(ep.unix_path.c_str());
  if (ac == nullptr) {
    failed("out of memory");
    return;
  }
  // Before the reader sees a byte: the server's declared sizes are bounded.
  bounds_.install(ac->c.reader);
  if (ac->err != 0 || !attach_to_loop(ac, loop_, [this, ac] { after_read(ac); })) {
    const std::string why = ac->err != 0 ? ac->errstr : "cannot watch the socket";
    redisAsyncFree(ac);
    failed(why);
    return;
  }
  ac->data = this;
  // A silently dead peer is noticed within about a minute (TCP only: on a
  // unix socket the option fails and would poison the context).
  if (ep.unix_path.empty()) redisEnableKeepAlive(&ac->c);
  redisAsyncSetConnectCallback(ac, on_connect);
  redisAsyncSetDisconnectCallback(ac, on_disconnect);
  ac_ = ac;
  state_ = State::Connecting;
  handshake();
}

// Queued at once: hiredis only notices the connect when it has something to
// write, and pipelining saves round trips. PING's answer means all is done.
void Connection::handshake() {
  const RedisEndpoint& ep = opts_.endpoint;
  auto step_failed = [this](const char* what) {
    return [this, what](const redisReply* r) {
      if (r == nullptr || r->type != REDIS_REPLY_ERROR) return;
      // The server's text, never the credentials.
      failed(std::string(what) + " failed: " + std::string(r->str, r->len));
    };
  };
  if (!ep.password.empty()) {
    if (ep.username.empty())
      send(ac_, {"AUTH", ep.password}, step_failed("AUTH"));
    else
      send(ac_, {"AUTH", ep.username, ep.password}, step_failed("AUTH"));
  }
  if (ep.db != 0) {
    const std::string db = std::to_string(ep.db);
    send(ac_, {"SELECT", db}, step_failed("SELECT"));
  }
  send(ac_, {"PING"}, [this](const redisReply* r) {
    if (r == nullptr || state_ != State::Connecting) return;
    if (r->type == REDIS_REPLY_ERROR) {
      failed("PING failed: " + std::string(r->str, r->len));
      return;
    }
    connect_timer_.stop();
    state_ = State::Ready;
    ++generation_;
    backoff_.on_success();
    if (reconnects_ > 0 || was_ready_) PGW_LOG(log_, Info, "connected to %s", opts_.url_for_logs.c_str());
    was_ready_ = true;
    if (on_ready_) on_ready_();
  });
}

void Connection::on_connect(const redisAsyncContext* ac, int status) {
  auto* self = static_cast<Connection*>(ac->data);
  if (self == nullptr || self->ac_ != ac || status == REDIS_OK) return;
  // hiredis frees this context when we return.
  self->ac_ = nullptr;
  self->failed(ac->errstr[0] ? ac->errstr : "connect failed");
}

void Connection::on_disconnect(const redisAsyncContext* ac, int) {
  auto* self = static_cast<Connection*>(ac->data);
  if (self == nullptr || self->ac_ != ac) return;
  self->ac_ = nullptr;  // hiredis frees it when we return
  if (self->bounds_.refused()) {  // the reply builder said no: hiredis reports it as out of memory
    self->refused_reply();
    return;
  }
  self->failed(ac->err != 0 && ac->errstr[0] ? ac->errstr : "connection closed");
}

// hiredis buffers a bulk until all of it is in, asking the builder nothing
// meanwhile: what it holds is checked after each read (at most 16 KiB).
void Connection::after_read(const redisAsyncContext* ac) {
  if (ac != ac_ || bounds_.holds_within(ac->c.reader)) return;
  refused_reply();
}

// A server that is not Redis, or a broken or hostile one. Nothing it sent
// in that reply is used; what was read before stays as it was.
void Connection::refused_reply() {
  ++refused_;
  PGW_LOG(log_, Error, "%s: %s; dropping the connection", opts_.url_for_logs.c_str(), bounds_.why().c_str());
  failed("reply over the bound");
}

void Connection::on_reply(redisAsyncContext* ac, void* reply, void* priv) {
  std::unique_ptr<Pending> p(static_cast<Pending*>(priv));
  if (ac->data == nullptr) return;  // closed: callbacks are dropped
  p->cb(static_cast<const redisReply*>(reply));
}

bool Connection::send(redisAsyncContext* ac, const std::vector<std::string_view>& argv, Callback cb) {
  argv_.clear();
  lens_.clear();
  for (std::string_view a : argv) {
    argv_.push_back(a.data());
    lens_.push_back(a.size());
  }
  auto* p = new Pending{std::move(cb)};
  if (redisAsyncCommandArgv(ac, on_reply, p, static_cast<int>(argv_.size()), argv_.data(), lens_.data()) !=
      REDIS_OK) {
    delete p;
    return false;
  }
  return true;
}

bool Connection::command(const std::vector<std::string_view>& argv, Callback cb) {
  if (state_ != State::Ready || ac_ == nullptr) return false;
  return send(ac_, argv, std::move(cb));
}

void Connection::reset(const char* why) {
  if (state_ == State::Closed || state_ == State::Idle) return;
  failed(why);
}

// Any failure: drop what is left of the context, tell the owner if it was
// usable, and try again after the backoff delay.
void Connection::failed(const std::string& why) {
  if (state_ == State::Closed) return;
  const bool was_up = state_ == State::Ready;
  connect_timer_.stop();
  drop_context();
  state_ = State::Idle;
  backoff_.on_failure();
  const int64_t delay = backoff_.next_delay();
  if (was_up || backoff_.failures() == 1)
    PGW_LOG(log_, Warn, "%s: %s; reconnecting (attempt %d, in %lld ms)", opts_.url_for_logs.c_str(), why.c_str(),
            backoff_.failures(), static_cast<long long>(delay));
  ++reconnects_;
  retry_timer_.start(static_cast<uint64_t>(delay));
  if (was_up && on_down_) on_down_();
}

void Connection::drop_context() {
  if (resolver_) resolver_->cancel();
  redisAsyncContext* ac = ac_;
  if (ac == nullptr) return;
  ac_ = nullptr;  // on_disconnect ignores a context that is no longer ours
  // Pending callbacks run now with nullptr (unless close() cleared data).
  redisAsyncFree(ac);
}

void Connection::close() {
  if (state_ == State::Closed) return;
  state_ = State::Closed;
  if (ac_ != nullptr) ac_->data = nullptr;
  drop_context();
  resolver_.reset();
  retry_timer_.close();
  connect_timer_.close();
}

}  // namespace pushgw::redis
