// TlsTransport against a pushgw-sim peer echoing on the test loop, with a
// generated PKI: handshake, ALPN, verification failures (name, CA, IP),
// connect errors, lifetime.
#include <gtest/gtest.h>

#include "loop/loop.h"
#include "net/tls_context.h"
#include "net/tls_transport.h"
#include "run_until.h"
#include "sim_peer.h"
#include "test_pki.h"
#include "unused_port.h"

namespace pushgw::net {
namespace {

using testing::run_until;

struct Recorder final : TransportHandler {
  bool ready = false, closed = false;
  std::string alpn, data;
  NetError error = NetError::None;
  std::string detail;
  Transport* t = nullptr;
  std::string on_ready_write;

  void on_transport_ready(std::string_view a) override {
    ready = true;
    alpn = a;
    if (!on_ready_write.empty()) {
      t->out() += on_ready_write;
      t->flush();
    }
  }
  void on_transport_data(const uint8_t* d, size_t n) override { data.append(reinterpret_cast<const char*>(d), n); }
  void on_transport_read_done() override {}
  void on_transport_error(NetError e, std::string_view d) override {
    error = e;
    detail = d;
  }
  void on_transport_closed() override { closed = true; }
};

class TlsTransportTest : public ::testing::Test {
 protected:
  void SetUp() override {
    uv_loop_init(&loop_);
    auto ctx = TlsContext::create(pki_.ca_file());
    ASSERT_TRUE(ctx.ok()) << ctx.error().message;
    tls_ = ctx.value();
  }
  void TearDown() override {
    server_.reset();
    EXPECT_EQ(loop::run_and_close(&loop_), 0) << loop::describe_handles(&loop_);
  }

  void start_server(const testing::KeyCert& kc, sim::Alpn alpn = sim::Alpn::H2) {
    testing::PeerOptions o;
    o.cert_pem = kc.cert_pem;
    o.key_pem = kc.key_pem;
    o.alpn = alpn;
    o.app = testing::PeerOptions::App::Echo;
    server_ = std::make_unique<testing::SimPeer>(&loop_, std::move(o), sink_);
  }

  // Connects a transport for host to the test server; runs until ready or error.
  std::unique_ptr<TlsTransport> dial(Recorder& rec, const std::string& host, bool offer_http1 = false,
                                     uint16_t port = 0, size_t max_write_backlog = 0) {
    TlsTransportOptions o;
    if (max_write_backlog > 0) o.max_write_backlog = max_write_backlog;
    o.host = host;
    o.port = port != 0 ? port : server_->port();
    o.offer_http1 = offer_http1;
    auto t = std::make_unique<TlsTransport>(&loop_, tls_, o, rec, obs::Logger());
    rec.t = t.get();
    sockaddr_in a{};
    uv_ip4_addr("127.0.0.1", o.port, &a);
    t->connect(reinterpret_cast<const sockaddr*>(&a));
    run_until(&loop_, [&] { return rec.ready || rec.error != NetError::None; });
    return t;
  }

  uv_loop_t loop_{};
  testing::TestPki pki_;
  std::shared_ptr<TlsContext> tls_;
  testing::ScriptedSink sink_;  // unused by the echo
  std::unique_ptr<testing::SimPeer> server_;
};

TEST_F(TlsTransportTest, HandshakeAlpnAndRoundTrip) {
  start_server(pki_.issue({"localhost"}, {}));
  Recorder rec;
  rec.on_ready_write = "hello over TLS";
  auto t = dial(rec, "localhost");
  ASSERT_TRUE(rec.ready) << rec.detail;
  EXPECT_EQ(rec.alpn, "h2");
  ASSERT_TRUE(run_until(&loop_, [&] { return rec.data.size() >= 14; }));
  EXPECT_EQ(rec.data, "hello over TLS");
  // A large write goes out as several records and comes back intact.
  std::string big(200000, 'x');
  for (size_t i = 0; i < big.size(); ++i) big[i] = static_cast<char>('a' + i % 26);
  rec.data.clear();
  t->out() += big;
  t->flush();
  ASSERT_TRUE(run_until(&loop_, [&] { return rec.data.size() >= big.size(); }));
  EXPECT_EQ(rec.data, big);
  t->close();
  ASSERT_TRUE(run_until(&loop_, [&] { return rec.closed; }));
  EXPECT_EQ(rec.error, NetError::None);  // close() raises no error
}

TEST_F(TlsTransportTest, OffersHttp1WhenAllowed) {
  start_server(pki_.issue({"localhost"}, {}), sim::Alpn::Http1);
  Recorder rec;
  auto t = dial(rec, "localhost", /*offer_http1=*/true);
  ASSERT_TRUE(rec.ready) << rec.detail;
  EXPECT_EQ(rec.alpn, "http/1.1");
}

TEST_F(TlsTransportTest, NoAlpnIsReportedEmpty) {
  start_server(pki_.issue({"localhost"}, {}), sim::Alpn::None);
  Recorder rec;
  auto t = dial(rec, "localhost");
  ASSERT_TRUE(rec.ready) << rec.detail;
  EXPECT_EQ(rec.alpn, "");
}

TEST_F(TlsTransportTest, WrongNameFailsVerification) {
  start_server(pki_.issue({"other.example"}, {}));
  Recorder rec;
  auto t = dial(rec, "localhost");
  EXPECT_FALSE(rec.ready);
  EXPECT_EQ(rec.error, NetError::TlsVerifyFailed) << rec.detail;
  EXPECT_NE(rec.detail.find("hostname mismatch"), std::string::npos) << rec.detail;
  ASSERT_TRUE(run_until(&loop_, [&] { return rec.closed; }));
}

TEST_F(TlsTransportTest, UntrustedCaFailsVerification) {
  start_server(pki_.issue({"localhost"}, {}, /*untrusted=*/true));
  Recorder rec;
  auto t = dial(rec, "localhost");
  EXPECT_FALSE(rec.ready);
  EXPECT_EQ(rec.error, NetError::TlsVerifyFailed) << rec.detail;
}

TEST_F(TlsTransportTest, IpLiteralIsVerifiedAgainstIpSan) {
  start_server(pki_.issue({"localhost"}, {"127.0.0.1"}));
  Recorder ok;
  auto t1 = dial(ok, "127.0.0.1");
  EXPECT_TRUE(ok.ready) << ok.detail;
  server_.reset();
  start_server(pki_.issue({"localhost"}, {}));  // no IP SAN
  Recorder bad;
  auto t2 = dial(bad, "127.0.0.1");
  EXPECT_FALSE(bad.ready);
  EXPECT_EQ(bad.error, NetError::TlsVerifyFailed) << bad.detail;
}

TEST_F(TlsTransportTest, RefusedConnectionIsConnectFailed) {
  const uint16_t port = testing::unused_local_port(&loop_);
  Recorder rec;
  auto t = dial(rec, "localhost", false, port);
  EXPECT_EQ(rec.error, NetError::ConnectFailed) << rec.detail;
  ASSERT_TRUE(run_until(&loop_, [&] { return rec.closed; }));
}

TEST_F(TlsTransportTest, ResumesSessionOnReconnect) {
  start_server(pki_.issue({"localhost"}, {}));
  Recorder a;
  a.on_ready_write = "x";
  auto t1 = dial(a, "localhost");
  ASSERT_TRUE(a.ready);
  ASSERT_TRUE(run_until(&loop_, [&] { return !a.data.empty(); }));  // tickets arrive with the first reads
  EXPECT_FALSE(t1->resumed());
  Recorder b;
  auto t2 = dial(b, "localhost");
  ASSERT_TRUE(b.ready);
  EXPECT_TRUE(t2->resumed());
}

TEST_F(TlsTransportTest, DestroyWhileConnectingIsClean) {
  start_server(pki_.issue({"localhost"}, {}));
  Recorder rec;
  TlsTransportOptions o;
  o.host = "localhost";
  o.port = server_->port();
  auto t = std::make_unique<TlsTransport>(&loop_, tls_, o, rec, obs::Logger());
  sockaddr_in a{};
  uv_ip4_addr("127.0.0.1", o.port, &a);
  t->connect(reinterpret_cast<const sockaddr*>(&a));
  t.reset();  // handle memory is released by the loop; no callback reaches rec
  uv_run(&loop_, UV_RUN_NOWAIT);
  EXPECT_FALSE(rec.ready);
  EXPECT_FALSE(rec.closed);
}

// A peer that stops reading: once the kernel's buffers are full, what we
// queue for it passes the cap and the transport fails with IoError instead
// of buffering without end.
TEST_F(TlsTransportTest, PeerThatStopsReadingIsCutOffPastTheWriteBacklogCap) {
  start_server(pki_.issue({"localhost"}, {}));
  Recorder rec;
  auto t = dial(rec, "localhost", false, 0, 1u << 20);
  ASSERT_TRUE(rec.ready) << rec.detail;
  server_->stall();
  const std::string chunk(64 * 1024, 'w');
  size_t written = 0;
  while (rec.error == NetError::None && written < (256u << 20)) {
    t->out() += chunk;
    t->flush();
    written += chunk.size();
    EXPECT_LE(t->write_backlog(), (1u << 20) + chunk.size() + 64 * 1024);
    uv_run(&loop_, UV_RUN_NOWAIT);
  }
  EXPECT_EQ(rec.error, NetError::IoError);
  EXPECT_NE(rec.detail.find("not reading"), std::string::npos) << rec.detail;
  EXPECT_LT(written, 128u << 20);  // kernel buffers plus the cap, not everything
  ASSERT_TRUE(run_until(&loop_, [&] { return rec.closed; }));
}

// Made-up names (wildcard DNS) cannot grow the session cache: it keeps the
// kMaxSessions most recently used.
TEST(TlsContext, SessionCacheIsBoundedLeastRecentlyUsedFirst) {
  auto ctx = TlsContext::create("");
  ASSERT_TRUE(ctx.ok());
  TlsContext& c = *ctx.value();
  c.put_session("keep", SSL_SESSION_new());
  for (size_t i = 0; i < TlsContext::kMaxSessions + 100; ++i) {
    c.put_session("name" + std::to_string(i) + ".attacker.test", SSL_SESSION_new());
    if (i % 100 == 0) {
      EXPECT_EQ(c.get1_session("keep"), nullptr);  // touched (an empty session is not resumable)
    }
  }
  EXPECT_EQ(c.sessions(), TlsContext::kMaxSessions);
  EXPECT_TRUE(c.cached("keep"));                 // used recently
  EXPECT_FALSE(c.cached("name0.attacker.test"));  // the oldest went
  EXPECT_TRUE(c.cached("name" + std::to_string(TlsContext::kMaxSessions + 99) + ".attacker.test"));
}

TEST(TlsContext, MissingCaFileIsAnError) {
  auto ctx = TlsContext::create("/nonexistent/ca.pem");
  ASSERT_FALSE(ctx.ok());
  EXPECT_EQ(ctx.error().code, "tls_ca_file");
  auto plain = TlsContext::create("");
  EXPECT_TRUE(plain.ok());
}

}  // namespace
}  // namespace pushgw::net
