// A Sender under test: its real loop and thread, with fakes at its seams.
//
//  - FakeProvider (one per app): builds "/<token>" requests, fails the build
//    while its credential is missing, and reads a response by its status
//    (the verdict table below), so a test scripts verdicts as HTTP answers;
//  - FakePool (made by the Sender through SenderDeps::pools): answers each
//    request from the Wire's script from an I/O callback, as a real pool
//    does (never inside submit), or leaves it hanging until shutdown; it
//    counts connect failures the way a pool does, so the circuit breaker
//    sees them;
//  - a TestClock the test moves: retry, park and breaker deadlines follow
//    it. The Sender sends due retries whenever it wakes, so after advance()
//    a barrier() (a canary request on its own origin, answered at once)
//    proves that everything due by then was sent.
//
// Every batch waits (wait = true), so its results come back through
// completions(); done() collects them.
#pragma once
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "../store/store_test_util.h"
#include "dispatch/sender.h"
#include "net/name_resolver.h"
#include "loop/async.h"

namespace pushgw::dispatch::testing {

using store::testing::TestClock;

// What the fake pool answers to one request.
struct Reply {
  pool::TransportError err = pool::TransportError::None;
  int status = 200;
  std::vector<std::pair<std::string, std::string>> headers;
  bool hang = false;  // no answer until the pool shuts down

  static Reply http(int status, std::vector<std::pair<std::string, std::string>> h = {}) {
    Reply r;
    r.status = status;
    r.headers = std::move(h);
    return r;
  }
  static Reply error(pool::TransportError e) {
    Reply r;
    r.err = e;
    return r;
  }
  static Reply hanging() {
    Reply r;
    r.hang = true;
    return r;
  }
};

// One request as the fake pool saw it.
struct Sent {
  std::string host;        // the pool's origin host
  std::string connect_ip;  // the pool's pinned address (Web Push)
  std::string token;
  int n = 0;  // earlier submits of the same token
  int64_t not_after_mono_ms = 0;  // the request's own deadline in the pool
};

// The requests every fake pool received, and the script that answers them.
class Wire {
 public:
  // Runs on the sender thread; set before the sender starts.
  std::function<Reply(const Sent&)> script = [](const Sent&) { return Reply::http(200); };
  // Each pool's concurrent streams (0: unlimited). A request answered frees
  // its stream at once, a hanging one holds it until shutdown; requests
  // beyond the free streams wait in the pool's queue (Pool::waiting()).
  std::atomic<size_t> streams{0};
  // While true no pool answers or starts anything: every request waits for a
  // stream (Pool::waiting()). kick() (any thread) makes them look again.
  std::atomic<bool> hold{false};
  // The same for one pool's host only (a pool that takes no request: a
  // connection being made, a peer allowing no stream).
  void hold_host(const std::string& host, bool on) {
    std::lock_guard<std::mutex> g(mu_);
    if (on) held_hosts_.insert(host);
    else held_hosts_.erase(host);
  }
  bool holds(const std::string& host) const {
    if (hold.load()) return true;
    std::lock_guard<std::mutex> g(mu_);
    return held_hosts_.count(host) > 0;
  }
  void kick() {
    std::lock_guard<std::mutex> g(mu_);
    for (loop::Async* a : pools_) a->ring();
  }
  void attach(loop::Async* a) {
    std::lock_guard<std::mutex> g(mu_);
    pools_.push_back(a);
  }
  void detach(loop::Async* a) {
    std::lock_guard<std::mutex> g(mu_);
    pools_.erase(std::remove(pools_.begin(), pools_.end(), a), pools_.end());
  }

  Reply on_submit(Sent s) {
    {
      std::lock_guard<std::mutex> g(mu_);
      s.n = per_token_[s.token]++;
      log_.push_back(s);
    }
    return script(s);
  }
  void on_retire(uint32_t conn_id) {
    std::lock_guard<std::mutex> g(mu_);
    retired_.push_back(conn_id);
  }
  // A pool's requests not yet completed (submitted, queued or hanging).
  void outstanding(const std::string& host, size_t n) {
    std::lock_guard<std::mutex> g(mu_);
    size_t& m = max_outstanding_[host];
    m = std::max(m, n);
  }
  size_t max_outstanding(const std::string& host) const {
    std::lock_guard<std::mutex> g(mu_);
    auto it = max_outstanding_.find(host);
    return it == max_outstanding_.end() ? 0 : it->second;
  }
  // Test thread.
  int submits(const std::string& token) const {
    std::lock_guard<std::mutex> g(mu_);
    auto it = per_token_.find(token);
    return it == per_token_.end() ? 0 : it->second;
  }
  std::vector<Sent> log() const {
    std::lock_guard<std::mutex> g(mu_);
    return log_;
  }
  std::vector<uint32_t> retired() const {
    std::lock_guard<std::mutex> g(mu_);
    return retired_;
  }
  // Pools shut down while the sender runs (evicted idle Web Push pools).
  void on_shutdown() { shutdowns_.fetch_add(1); }
  int shutdowns() const { return shutdowns_.load(); }

 private:
  mutable std::mutex mu_;
  std::map<std::string, int> per_token_;
  std::vector<Sent> log_;
  std::vector<uint32_t> retired_;
  std::map<std::string, size_t> max_outstanding_;
  std::set<std::string> held_hosts_;
  std::vector<loop::Async*> pools_;
  std::atomic<int> shutdowns_{0};
};

class FakePool final : public pool::Pool {
 public:
  FakePool(uv_loop_t* loop, pool::PoolOptions o, pool::PoolListener& listener, Wire& wire)
      : opts_(std::move(o)), listener_(listener), wire_(wire), io_(loop, [this] { answer(); }) {
    wire_.attach(&io_);
  }
  ~FakePool() override { wire_.detach(&io_); }

  void submit(HttpRequest* req, HttpResponse* resp, void* user) override {
    queued_.push_back(Req{req, resp, user});
    wire_.outstanding(opts_.host, queued_.size() + hung_.size());
    io_.ring();
  }
  void flush() override { io_.ring(); }
  void retire(uint32_t conn_id) override { wire_.on_retire(conn_id); }
  void shutdown(bool force, std::function<void()> done) override {
    wire_.on_shutdown();
    closing_ = true;
    done_ = std::move(done);
    force_ = force;
    io_.ring();
  }
  pool::PoolStats stats() const override { return stats_; }
  size_t waiting() const override { return queued_.size(); }

 private:
  struct Req {
    HttpRequest* req;
    HttpResponse* resp;
    void* user;
  };

  void answer() {
    if (!closing_ && wire_.holds(opts_.host)) return;
    std::vector<Req> batch;
    const size_t streams = wire_.streams.load();
    if (streams == 0 || closing_) {
      batch.swap(queued_);
    } else {  // one network turn: as many as there are free streams
      const size_t take = std::min(queued_.size(), streams > hung_.size() ? streams - hung_.size() : 0);
      batch.assign(queued_.begin(), queued_.begin() + static_cast<std::ptrdiff_t>(take));
      queued_.erase(queued_.begin(), queued_.begin() + static_cast<std::ptrdiff_t>(take));
    }
    for (const Req& r : batch) {
      if (closing_) {
        listener_.on_complete(r.user, *r.req, *r.resp, pool::TransportError::Shutdown, 0);
        continue;
      }
      const std::string path = r.req->path;
      Reply rep = wire_.on_submit(Sent{opts_.host, opts_.connect_ip, path.substr(1), 0, r.req->not_after_mono_ms});
      if (rep.hang) {
        hung_.push_back(r);
        continue;
      }
      // Failed connection attempts, as the pool counts them.
      if (rep.err == pool::TransportError::ConnectFailed || rep.err == pool::TransportError::TlsVerifyFailed ||
          rep.err == pool::TransportError::TlsHandshakeFailed || rep.err == pool::TransportError::NoStreams)
        ++stats_.connect_failures;
      r.resp->clear();
      r.resp->status = rep.status;
      for (auto& [k, v] : rep.headers) r.resp->add_header(k, v);
      // Connection 7 answered, or carried the stream that failed; no
      // connection for the failures of connection setup.
      const bool no_conn = rep.err == pool::TransportError::ConnectFailed ||
                           rep.err == pool::TransportError::TlsHandshakeFailed ||
                           rep.err == pool::TransportError::TlsVerifyFailed;
      listener_.on_complete(r.user, *r.req, *r.resp, rep.err, no_conn ? 0 : 7);
    }
    // Answers freed streams that queued requests take in the next turn.
    if (!closing_ && !queued_.empty() && wire_.streams.load() > hung_.size()) io_.ring();
    if (closing_ && done_) {
      std::vector<Req> hung;
      hung.swap(hung_);
      for (const Req& r : hung)
        listener_.on_complete(r.user, *r.req, *r.resp,
                              force_ ? pool::TransportError::ConnectionLost : pool::TransportError::Shutdown, 0);
      auto done = std::move(done_);
      done_ = nullptr;
      wire_.detach(&io_);
      io_.close(std::move(done));
    }
  }

  pool::PoolOptions opts_;
  pool::PoolListener& listener_;
  Wire& wire_;
  std::vector<Req> queued_, hung_;
  pool::PoolStats stats_;
  bool closing_ = false, force_ = false;
  std::function<void()> done_;
  loop::Async io_;  // answers arrive as I/O, like a socket's
};

// Verdicts by status: 200 delivered, 400 invalid, 410 unsubscribed (since from
// "x-since"), 403 "x-refresh" a rejected credential (answered by
// Shared::on_rejected), 429/500/503
// retry (Retry-After in seconds from "retry-after"), "x-close" asks to retire
// the connection, anything else failed.
class FakeProvider final : public Provider {
 public:
  struct Shared {
    std::atomic<bool> credential_missing{false};
    // credential_ready() tells (the sender parks before building); false:
    // it says ready and only build() fails, like a provider without the check.
    std::atomic<bool> reports_credential{true};
    std::atomic<int> begin_drains{0}, credentials_rejected{0};
    mutable std::atomic<int> credential_checks{0};  // credential_ready() calls
    // What credential_rejected() answers.
    std::atomic<CredentialRetry> on_rejected{CredentialRetry::Backoff};
  };
  FakeProvider(Platform p, std::string origin, std::shared_ptr<Shared> s)
      : platform_(p), origin_(std::move(origin)), s_(std::move(s)) {}

  Platform platform() const override { return platform_; }
  std::string_view origin(const Batch&, uint32_t) const override { return origin_; }
  Result<void> build(const Batch& b, uint32_t idx, int64_t, HttpRequest& req) override {
    if (s_->credential_missing.load()) return make_error("credential_unavailable", "no token yet");
    if (b.token(idx) == "unbuildable") return make_error("payload_too_large", "too big");
    req.path = "/" + std::string(b.token(idx));
    return {};
  }
  Verdict classify(const HttpResponse& resp, int64_t) const override;
  void begin_drain(int64_t) override { ++s_->begin_drains; }
  bool credential_ready() const override {
    ++s_->credential_checks;
    return !(s_->reports_credential.load() && s_->credential_missing.load());
  }
  CredentialRetry credential_rejected(const HttpRequest&, int64_t) override {
    ++s_->credentials_rejected;
    return s_->on_rejected.load();
  }

 private:
  Platform platform_;
  std::string origin_;
  std::shared_ptr<Shared> s_;
};

struct BatchOptions {
  int64_t expires_in_ms = 0;  // 0: none
  std::string campaign;
  bool marketing = false;
  bool cap_override = false;
  int64_t registered_at_ms = 0;
  bool journaled = true;
  bool once = false;  // one attempt (Web Push ttl 0)
};

// "t0", "t1", ... "t<n-1>".
inline std::vector<std::string> numbered_tokens(size_t n) {
  std::vector<std::string> t;
  for (size_t i = 0; i < n; ++i) t.push_back("t" + std::to_string(i));
  return t;
}

// "<prefix>0", "<prefix>1", ... "<prefix><n-1>".
inline std::vector<std::string> names(const std::string& prefix, int n) {
  std::vector<std::string> out;
  for (int i = 0; i < n; ++i) out.push_back(prefix + std::to_string(i));
  return out;
}

// A Web Push name's lookup: the public address 93.184.216.34, or a
// temporary failure (EAI_AGAIN).
net::Lookup public_address();
net::Lookup temporary_failure();

class SenderRig {
 public:
  static constexpr double kAlmostOne = 0.999999;  // jitter at its ceiling: backoff = base * 2^n

  SenderRig();
  ~SenderRig();

  // Before start(). Returns the app id. The canary app (id 0) exists already.
  uint16_t add_app(Platform p, const std::string& name, const std::string& origin, bool allow_private = false);
  FakeProvider::Shared& provider(uint16_t app_id) { return *shared_[app_id]; }
  void create();  // the Sender, not started yet (start() does both)
  void start();

  Batch* send(uint16_t app_id, const std::vector<std::string>& tokens, const BatchOptions& o = {});
  // A batch whose jobs the test pushes itself (offer()).
  Batch* make(uint16_t app_id, const std::vector<std::string>& tokens, const BatchOptions& o = {});
  // Pushes the batch's jobs [from, end) and rings the sender; returns how many fit.
  size_t offer(Batch* b, size_t from = 0);
  // Waits (up to 20 s) until the batch came back through completions().
  bool done(Batch* b);
  bool is_done(Batch* b);
  // Every job pushed before it has been popped, and every retry due by now sent.
  void barrier();
  void advance(int64_t ms) { clock.advance_ms(ms); }
  // Graceful or forced (deadline relative to the test clock), then join.
  void stop(int64_t deadline_in_ms);
  template <class F>
  static bool eventually(F&& pred, std::chrono::milliseconds limit = std::chrono::seconds(20)) {
    const auto until = std::chrono::steady_clock::now() + limit;
    while (!pred()) {
      if (std::chrono::steady_clock::now() > until) return false;
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    return true;
  }

  TestClock clock;
  Wire wire;
  std::atomic<int> notifies{0};  // notify_ingest calls
  SenderDeps deps;
  std::unique_ptr<Sender> sender;
  std::vector<pool::PoolOptions> pools_made;  // guarded by pools_mu
  std::mutex pools_mu;

 private:
  void collect();

  std::shared_ptr<AppTable> apps_ = std::make_shared<AppTable>();
  std::vector<std::shared_ptr<FakeProvider::Shared>> shared_;
  std::vector<std::unique_ptr<Batch>> batches_;
  std::set<Batch*> completed_;
  uint64_t next_request_ = 1;
  bool stopped_ = false;
};

}  // namespace pushgw::dispatch::testing
