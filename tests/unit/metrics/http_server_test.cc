#include "metrics/http_server.h"

#include <gtest/gtest.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <functional>
#include <memory>
#include <thread>
#include <vector>

#include "http_client.h"
#include "metrics/exposition.h"
#include "metrics/gateway_metrics.h"
#include "metrics/registry.h"
#include "promtool.h"

namespace pushgw::metrics {
namespace {

namespace t = pushgw::metrics::testing;

// Runs a MetricsServer on a loop in this thread while `client` runs on
// another; when the client returns, the server is destroyed from a loop
// callback and the loop must end with every handle closed.
class ServerHarness {
 public:
  ServerHarness(MetricsServer::Handlers h, MetricsServer::Options o = {}) {
    uv_loop_init(&loop_);
    server_ = std::make_unique<MetricsServer>(&loop_, std::move(h), std::move(o));
  }
  ~ServerHarness() {
    server_.reset();
    uv_run(&loop_, UV_RUN_DEFAULT);
    EXPECT_EQ(uv_loop_close(&loop_), 0) << "a handle was left open";
  }
  MetricsServer& server() { return *server_; }

  void run(const std::function<void(uint16_t port)>& client) {
    ASSERT_TRUE(server_->listen("127.0.0.1:0").ok());
    const uint16_t port = server_->port();
    ASSERT_NE(port, 0);
    uv_async_init(&loop_, &done_, [](uv_async_t* a) {
      auto* self = static_cast<ServerHarness*>(a->data);
      self->server_.reset();  // destroys it from inside a loop callback
      uv_close(reinterpret_cast<uv_handle_t*>(a), nullptr);
    });
    done_.data = this;
    std::thread th([&] {
      client(port);
      uv_async_send(&done_);
    });
    uv_run(&loop_, UV_RUN_DEFAULT);
    th.join();
  }

 private:
  uv_loop_t loop_{};
  uv_async_t done_{};
  std::unique_ptr<MetricsServer> server_;
};

TEST(MetricsServer, ServesMetricsHealthAndNotFound) {
  Registry r;
  auto& c = r.counter("pushgw_x_total", "X.", {"app"});
  Shard s(r);
  s.counter(c, {"a"})->inc(42);
  std::atomic<bool> healthy{true};
  ServerHarness h({[&] { return r.render(); }, [&] { return healthy.load(); }});
  h.run([&](uint16_t port) {
    auto m = t::get(port, "/metrics");
    ASSERT_TRUE(m.ok);
    EXPECT_EQ(m.status, 200);
    EXPECT_EQ(t::header(m, "Content-Type"), std::string(kTextContentType));
    EXPECT_EQ(t::header(m, "Content-Length"), std::to_string(m.body.size()));
    EXPECT_EQ(m.body, r.render());

    auto q = t::get(port, "/metrics?name[]=x");  // query strings are ignored
    EXPECT_EQ(q.status, 200);

    auto ok = t::get(port, "/healthz");
    EXPECT_EQ(ok.status, 200);
    EXPECT_EQ(ok.body, "ok\n");
    healthy = false;
    auto bad = t::get(port, "/healthz");
    EXPECT_EQ(bad.status, 503);

    EXPECT_EQ(t::get(port, "/").status, 404);
    EXPECT_EQ(t::get(port, "/metricsX").status, 404);

    auto head = t::exchange(port, "HEAD /metrics HTTP/1.1\r\n\r\n");
    EXPECT_EQ(head.status, 200);
    EXPECT_EQ(head.body, "");
    EXPECT_EQ(t::header(head, "Content-Length"), std::to_string(r.render().size()));

    auto post = t::exchange(port, "POST /metrics HTTP/1.1\r\nContent-Length: 0\r\n\r\n");
    EXPECT_EQ(post.status, 405);
    EXPECT_EQ(t::header(post, "Allow"), "GET, HEAD");

    healthy = true;
    auto http10 = t::exchange(port, "GET /healthz HTTP/1.0\n\n");  // bare LF line ends are tolerated
    EXPECT_EQ(http10.status, 200);
  });
}

TEST(MetricsServer, AnswersGarbageWith400AndOversizeWith431) {
  MetricsServer::Options o;
  o.max_request_bytes = 1024;
  ServerHarness h({[] { return std::string(); }, {}}, o);
  h.run([&](uint16_t port) {
    EXPECT_EQ(t::exchange(port, "\x16\x03\x01 not http at all\r\n\r\n").status, 400);
    EXPECT_EQ(t::exchange(port, "GET /metrics\r\n\r\n").status, 400);
    EXPECT_EQ(t::exchange(port, "GET /metrics SPDY/3\r\n\r\n").status, 400);
    auto big = t::exchange(port, "GET /" + std::string(100000, 'a'));  // never ends its head
    EXPECT_TRUE(big.ok);
    EXPECT_EQ(big.status, 431);
  });
}

TEST(MetricsServer, CutsOffSlowClients) {
  MetricsServer::Options o;
  o.head_timeout_ms = 50;
  ServerHarness h({[] { return std::string(); }, {}}, o);
  h.run([&](uint16_t port) {
    const int fd = t::connect_local(port);
    ASSERT_GE(fd, 0);
    const std::string partial = "GET /metrics HTTP/1.1\r\nHost: x\r\n";  // and then nothing
    ASSERT_EQ(send(fd, partial.data(), partial.size(), MSG_NOSIGNAL), static_cast<ssize_t>(partial.size()));
    auto r = t::read_reply(fd);  // blocks until the server gives up on us
    close(fd);
    EXPECT_TRUE(r.ok);
    EXPECT_EQ(r.headers, "");  // closed without an answer
  });
}

// Issue 15, item 10: idle clients filling every slot do not make /healthz
// fail; the oldest idle one gives way to each new client.
TEST(MetricsServer, IdleClientsGiveWayToNewOnes) {
  MetricsServer::Options o;
  o.max_connections = 64;
  o.head_timeout_ms = 60000;  // the idle ones would hold their slots for a minute
  ServerHarness h({[] { return std::string("m\n"); }, {}}, o);
  h.run([&](uint16_t port) {
    std::vector<int> idle;
    for (int i = 0; i < 64; ++i) idle.push_back(t::connect_local(port));
    for (int i = 0; i < 5; ++i) {
      auto health = t::get(port, "/healthz");
      EXPECT_EQ(health.status, 200) << i;
      EXPECT_EQ(health.body, "ok\n");
    }
    auto evicted = t::read_reply(idle[0]);  // the oldest: closed without an answer
    EXPECT_TRUE(evicted.ok);
    EXPECT_EQ(evicted.headers, "");
    for (int fd : idle) close(fd);
  });
}

// A slot that is answering is never taken: past the limit with no idle
// client, a new one is closed at once.
TEST(MetricsServer, RefusesConnectionsPastTheLimitWhenNoneIsIdle) {
  MetricsServer::Options o;
  o.max_connections = 1;
  ServerHarness h({[] { return std::string("m\n"); }, {}}, o);
  h.run([&](uint16_t port) {
    const int first = t::connect_local(port);  // holds the only slot
    ASSERT_GE(first, 0);
    const std::string req = "GET /metrics HTTP/1.1\r\n\r\n";
    ASSERT_EQ(send(first, req.data(), req.size(), MSG_NOSIGNAL), static_cast<ssize_t>(req.size()));
    auto served = t::read_reply(first);  // answered; lingers until our FIN
    EXPECT_EQ(served.status, 200);
    EXPECT_EQ(served.body, "m\n");
    const int second = t::connect_local(port);
    ASSERT_GE(second, 0);
    auto refused = t::read_reply(second);  // closed at once
    close(second);
    EXPECT_TRUE(refused.ok);
    EXPECT_EQ(refused.headers, "");
    close(first);
  });
}

TEST(MetricsServer, ListenErrorsAndDisabled) {
  uv_loop_t loop;
  uv_loop_init(&loop);
  {
    MetricsServer off(&loop, {[] { return std::string(); }, {}}, {});
    EXPECT_TRUE(off.listen("").ok());
    EXPECT_FALSE(off.listening());

    MetricsServer bad(&loop, {[] { return std::string(); }, {}}, {});
    auto r = bad.listen("127.0.0.1");
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().code, "metrics_address");
    r = bad.listen("no.such.host.invalid:9464");
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().code, "metrics_address");

    MetricsServer first(&loop, {[] { return std::string(); }, {}}, {});
    ASSERT_TRUE(first.listen("127.0.0.1:0").ok());
    MetricsServer second(&loop, {[] { return std::string(); }, {}}, {});
    r = second.listen("127.0.0.1:" + std::to_string(first.port()));
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().code, "metrics_listen");
    EXPECT_FALSE(second.listening());
  }
  uv_run(&loop, UV_RUN_DEFAULT);
  EXPECT_EQ(uv_loop_close(&loop), 0);
}

TEST(MetricsServer, HandlerMayDestroyTheServer) {
  uv_loop_t loop;
  uv_loop_init(&loop);
  std::unique_ptr<MetricsServer> s;
  int calls = 0;
  s = std::make_unique<MetricsServer>(&loop, MetricsServer::Handlers{[&] {
    ++calls;
    s.reset();  // from inside the scrape it serves
    return std::string("gone_total 1\n");
  }, {}}, MetricsServer::Options{});
  ASSERT_TRUE(s->listen("127.0.0.1:0").ok());
  const uint16_t port = s->port();
  std::string answer;
  std::thread th([&] { answer = t::get(port, "/metrics").body; });
  uv_timer_t keepalive;  // the server's handles are unref'd: something must keep the loop polling
  uv_timer_init(&loop, &keepalive);
  uv_timer_start(&keepalive, [](uv_timer_t*) {}, 1, 1);
  while (s) uv_run(&loop, UV_RUN_ONCE);
  th.join();
  uv_close(reinterpret_cast<uv_handle_t*>(&keepalive), nullptr);
  uv_run(&loop, UV_RUN_DEFAULT);
  EXPECT_EQ(calls, 1);
  EXPECT_EQ(answer.find("gone_total"), std::string::npos);  // the connection went with the server
  EXPECT_EQ(uv_loop_close(&loop), 0);
}

TEST(MetricsServer, CloseRunsDoneAfterHandlesAreGone) {
  uv_loop_t loop;
  uv_loop_init(&loop);
  bool done = false;
  {
    MetricsServer s(&loop, {[] { return std::string(); }, {}}, {});
    ASSERT_TRUE(s.listen("127.0.0.1:0").ok());
    s.close([&] { done = true; });
    EXPECT_FALSE(done);  // the listener's close callback has not run yet
    uv_run(&loop, UV_RUN_DEFAULT);
    EXPECT_TRUE(done);
    EXPECT_FALSE(s.listening());
  }
  uv_run(&loop, UV_RUN_DEFAULT);
  EXPECT_EQ(uv_loop_close(&loop), 0);
}

// The acceptance test: /metrics scraped over HTTP while sender
// threads write passes promtool.
TEST(MetricsServer, ScrapeDuringLoadPassesPromtool) {
  const std::string promtool = t::find_promtool();
  if (promtool.empty()) GTEST_SKIP() << "promtool not installed (apt-get install prometheus)";
  Registry r;
  GatewayFamilies f(r);
  std::atomic<uint64_t> depth{0};
  register_gateway_gauges(r, GatewayGauges{[&] { return static_cast<double>(depth.load()); }, [] { return 4.0; },
                                          [] { return 12.0; }, [] { return 0.0; }});
  register_build_info(r, "test");
  std::atomic<bool> stop{false};
  auto writer = [&](const char* platform) {
    Shard s(r);
    const char* reasons[] = {"BadDeviceToken", "Unregistered", "TooManyRequests", "quota \"exceeded\""};
    for (uint64_t i = 0; !stop.load(std::memory_order_relaxed); ++i) {
      const std::string app = "app-" + std::to_string(i % 50);
      s.counter(f.notifications, {platform, app, "delivered", ""})->inc();
      if (i % 7 == 0) s.counter(f.notifications, {platform, app, "failed", reasons[i % 4]})->inc();
      s.histogram(f.provider_latency, {platform, app})->observe(static_cast<double>(i % 1000) * 0.0007);
      depth.store(i % 1000, std::memory_order_relaxed);
    }
  };
  std::thread w1(writer, "apns"), w2(writer, "fcm");
  ServerHarness h({[&] { return r.render(); }, {}});
  h.run([&](uint16_t port) {
    for (int i = 0; i < 5; ++i) {
      auto m = t::get(port, "/metrics");
      ASSERT_EQ(m.status, 200);
      auto check = t::promtool_check(promtool, m.body);
      EXPECT_EQ(check.exit_code, 0) << check.output;
      EXPECT_EQ(check.output, "");
    }
  });
  stop = true;
  w1.join();
  w2.join();
}

}  // namespace
}  // namespace pushgw::metrics
