// The pool against a real HTTP/2 server: Debian's nghttpd, serving a temp
// docroot with a certificate from the test PKI. nghttpd answers a POST to a
// file path with 200 and the file. Skipped when nghttpd is not installed.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <spawn.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "pool_fixture.h"

extern char** environ;

namespace pushgw::pool {
namespace {

constexpr const char* kNghttpd = "/usr/sbin/nghttpd";

uint16_t free_port() {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a);
  socklen_t len = sizeof a;
  getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
  close(fd);
  return ntohs(a.sin_port);
}

bool accepts_connections(uint16_t port) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(port);
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  bool ok = connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0;
  close(fd);
  return ok;
}

class NghttpdTest : public PoolTest {
 protected:
  void SetUp() override {
    PoolTest::SetUp();
    if (access(kNghttpd, X_OK) != 0) GTEST_SKIP() << "nghttpd not installed (package nghttp2-server)";
    auto kc = pki_.issue({"localhost"}, {"127.0.0.1"});
    std::string key = pki_.write_file("server.key", kc.key_pem);
    std::string cert = pki_.write_file("server.crt", kc.cert_pem);
    pki_.write_file("index.html", kFile);
    port_ = free_port();
    std::string port = std::to_string(port_), docroot = "--htdocs=" + pki_.dir();
    std::vector<std::string> args = {kNghttpd, "--address=127.0.0.1", "--max-concurrent-streams=" + std::to_string(max_streams_),
                                     docroot, port, key, cert};
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
    ASSERT_EQ(posix_spawn(&pid_, kNghttpd, &fa, nullptr, argv.data(), environ), 0);
    posix_spawn_file_actions_destroy(&fa);
    // Readiness poll (bounded), not a timing assertion.
    for (int i = 0; i < 500 && !accepts_connections(port_); ++i) usleep(10'000);
    ASSERT_TRUE(accepts_connections(port_)) << "nghttpd did not start";
  }
  void TearDown() override {
    PoolTest::TearDown();
    if (pid_ > 0) {
      kill(pid_, SIGTERM);
      int st;
      waitpid(pid_, &st, 0);
    }
  }

  static constexpr const char* kFile = "<h1>pushgw interop</h1>\n";
  pid_t pid_ = -1;
  uint16_t port_ = 0;
  int max_streams_ = 8;
};

class NghttpdLoad : public NghttpdTest {
 protected:
  void SetUp() override {
    max_streams_ = 100;
    NghttpdTest::SetUp();
  }
};

double cpu_seconds() {
  rusage ru{};
  getrusage(RUSAGE_SELF, &ru);
  return static_cast<double>(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
         static_cast<double>(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

// Manual benchmark (run with --gtest_also_run_disabled_tests): client CPU per
// request, to compare with
//   h2load -n 100000 -c 1 -m 100 -d body.json -H 'authorization: bearer ...' https://127.0.0.1:PORT/index.html
// against the same nghttpd. Prints, asserts nothing about speed.
TEST_F(NghttpdLoad, DISABLED_CpuPerRequest) {
  auto o = options();
  o.port = port_;
  make_pool(o);
  const int kTotal = 100000, kWindow = 2000;
  std::string body(180, 'x');
  body = R"({"aps":{"alert":{"title":"Hi","body":")" + body + R"("}}})";
  std::string jwt = "bearer " + std::string(220, 'j');
  std::vector<Call> calls(kWindow);
  int sent = 0, done = 0;
  struct Relay : PoolListener {
    std::function<void(Call*)> fn;
    void on_complete(void* u, HttpRequest&, HttpResponse&, TransportError, uint32_t) override { fn(static_cast<Call*>(u)); }
  } relay;
  auto owned = make_h2_pool(&loop_, tls_, o, relay, clock_, log_);
  Pool& pool = *owned;
  auto send = [&](Call* c) {
    c->req.clear();
    c->req.path = "/index.html";
    c->req.body = body;
    c->req.add_header("authorization", jwt);
    c->req.add_header("apns-topic", "com.example.shop");
    c->req.add_header("apns-push-type", "alert");
    pool.submit(&c->req, &c->resp, c);
    ++sent;
  };
  relay.fn = [&](Call* c) {
    ++done;
    if (c->resp.status != 200) ADD_FAILURE() << "status " << c->resp.status;
    if (sent < kTotal) send(c);
  };
  for (auto& c : calls) send(&c);
  pool.flush();
  double t0 = cpu_seconds();
  auto w0 = clock_.mono_ns();
  ASSERT_TRUE(testing::run_until(&loop_, [&] { return done == kTotal; }, 120000));
  double cpu = cpu_seconds() - t0;
  double wall = static_cast<double>(clock_.mono_ns() - w0) / 1e9;
  printf("pool: %d requests, client CPU %.3f s = %.2f us/request, wall %.2f s (%.0f req/s)\n", kTotal, cpu,
         cpu * 1e6 / kTotal, wall, kTotal / wall);
  bool closed = false;
  pool.shutdown(false, [&] { closed = true; });
  ASSERT_TRUE(testing::run_until(&loop_, [&] { return closed; }));
}

TEST_F(NghttpdTest, PostsOverRealHttp2Server) {
  auto o = options();
  o.port = port_;
  make_pool(o);
  for (int i = 0; i < 200; ++i) submit("/index.html", "{\"n\":" + std::to_string(i) + "}");
  ASSERT_TRUE(flush_and_run_all());
  for (auto& c : calls_) {
    EXPECT_EQ(c.err, TransportError::None) << to_string(c.err);
    EXPECT_EQ(c.resp.status, 200);
    EXPECT_EQ(c.resp.body, kFile);
    EXPECT_EQ(c.resp.header("content-length"), std::to_string(strlen(kFile)));
    EXPECT_EQ(c.resp.header("server").substr(0, 7), "nghttpd");
  }
  // 200 requests through 8 stream slots on one connection: nothing refused.
  EXPECT_EQ(count(TransportError::RefusedStream), 0);
  EXPECT_EQ(pool_->stats().connects, 1u);
  Call& missing = submit("/nope");
  ASSERT_TRUE(flush_and_run_all());
  EXPECT_EQ(missing.resp.status, 404);
}

}  // namespace
}  // namespace pushgw::pool
