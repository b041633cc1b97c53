// Shared fixture for pool tests: a loop, a generated PKI, an in-loop TLS
// server with a scripted HTTP/2 or HTTP/1.1 fake, and a listener that
// records every completion (and can re-submit never-processed ones, the way
// the dispatcher would).
#pragma once
#include <gtest/gtest.h>

#include <deque>
#include <memory>
#include <set>

#include "fake_servers.h"
#include "loop/loop.h"
#include "net/tls_context.h"
#include "pool/pool.h"
#include "run_until.h"
#include "test_pki.h"
#include "tls_server.h"

namespace pushgw::pool {

struct Call {
  HttpRequest req;
  HttpResponse resp;
  int submits = 0, completions = 0;
  TransportError err = TransportError::None;
  uint32_t conn_id = 0;
  std::vector<TransportError> history;
};

class PoolTest : public ::testing::Test, public PoolListener {
 protected:
  void SetUp() override {
    uv_loop_init(&loop_);
    auto ctx = net::TlsContext::create(pki_.ca_file());
    ASSERT_TRUE(ctx.ok()) << ctx.error().message;
    tls_ = ctx.value();
    // Quiet by default; PGW_TEST_LOG=1 shows pool/h2 logs.
    if (getenv("PGW_TEST_LOG") != nullptr) log_ = obs::Logger(std::make_shared<obs::LogSink>(obs::Level::Debug), "pool");
  }

  void TearDown() override {
    if (pool_) {
      bool done = false;
      pool_->shutdown(true, [&] { done = true; });
      EXPECT_TRUE(testing::run_until(&loop_, [&] { return done; }));
      pool_.reset();
    }
    if (server_) server_->close();
    server_.reset();
    EXPECT_EQ(loop::run_and_close(&loop_), 0) << loop::describe_handles(&loop_);
    for (auto& c : calls_) EXPECT_EQ(c.completions, c.submits) << "every submit completes exactly once";
  }

  void serve_h2(const testing::KeyCert& kc) {
    testing::TlsServerOptions o;
    o.cert_pem = kc.cert_pem;
    o.key_pem = kc.key_pem;
    o.alpn = {"h2"};
    o.make_app = [this](testing::ServerConn& c) { return testing::make_h2_app(c, script_, stats_); };
    server_ = std::make_unique<testing::TlsServer>(&loop_, std::move(o));
  }
  void serve_h2() { serve_h2(pki_.issue({"localhost"}, {"127.0.0.1"})); }

  void serve_h1(std::vector<std::string> alpn = {"http/1.1"}) {
    auto kc = pki_.issue({"localhost"}, {"127.0.0.1"});
    testing::TlsServerOptions o;
    o.cert_pem = kc.cert_pem;
    o.key_pem = kc.key_pem;
    o.alpn = std::move(alpn);
    o.make_app = [this](testing::ServerConn& c) { return testing::make_h1_app(c, h1_script_, h1_stats_); };
    server_ = std::make_unique<testing::TlsServer>(&loop_, std::move(o));
  }

  PoolOptions options() const {
    PoolOptions o;
    o.host = "localhost";
    o.port = server_ ? server_->port() : 1;
    o.connect_ip = "127.0.0.1";
    o.backoff_base_ms = 5;
    o.backoff_cap_ms = 20;
    return o;
  }

  void make_pool(PoolOptions o) { pool_ = make_h2_pool(&loop_, tls_, std::move(o), *this, clock_, log_); }

  Call& submit(const std::string& path = "/3/device/abc", const std::string& body = R"({"aps":{}})") {
    Call& c = calls_.emplace_back();
    c.req.path = path;
    c.req.body = body;
    c.req.add_header("content-type", "application/json");
    c.req.add_header("authorization", "bearer not-a-secret");
    ++c.submits;
    pool_->submit(&c.req, &c.resp, &c);
    return c;
  }

  void on_complete(void* user, HttpRequest&, HttpResponse&, TransportError err, uint32_t conn_id) override {
    auto* c = static_cast<Call*>(user);
    ++c->completions;
    c->history.push_back(err);
    c->err = err;
    c->conn_id = conn_id;
    ++completed_;
    if (retry_unprocessed_ && never_processed(err) && err != TransportError::Shutdown && c->submits < 20) {
      ++c->submits;
      pool_->submit(&c->req, &c->resp, c);
      pool_->flush();
    }
  }

  // Runs until every call has its final completion.
  bool run_all() {
    return testing::run_until(&loop_, [&] {
      for (auto& c : calls_)
        if (c.completions < c.submits) return false;
      return true;
    });
  }

  int count(TransportError e) const {
    int n = 0;
    for (auto& c : calls_)
      for (auto h : c.history) n += h == e;
    return n;
  }

  uv_loop_t loop_{};
  testing::TestPki pki_;
  std::shared_ptr<net::TlsContext> tls_;
  SystemClock clock_;
  obs::Logger log_;
  testing::H2Script script_;
  testing::H2ServerStats stats_;
  testing::H1Script h1_script_;
  testing::H1ServerStats h1_stats_;
  std::unique_ptr<testing::TlsServer> server_;
  std::unique_ptr<Pool> pool_;
  std::deque<Call> calls_;
  int completed_ = 0;
  bool retry_unprocessed_ = false;
};

}  // namespace pushgw::pool
