// Shared by the Server tests: a blocking client for a client thread, an echo
// handler, and a fixture running the loop on the test thread.
#pragma once
#include <gtest/gtest.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "ingest/server.h"

namespace pushgw::ingest::test_support {

class TempDir {
 public:
  TempDir() {
    char tmpl[] = "/tmp/pushgw-server-test-XXXXXX";
    char* p = ::mkdtemp(tmpl);
    EXPECT_NE(p, nullptr);
    path_ = p ? p : "/tmp";
  }
  ~TempDir() { ::rmdir(path_.c_str()); }
  std::string file(const char* name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

// Blocking client used from a separate thread.
class Client {
 public:
  explicit Client(const std::string& path) {
    fd_ = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_un sa{};
    sa.sun_family = AF_UNIX;
    std::snprintf(sa.sun_path, sizeof sa.sun_path, "%s", path.c_str());
    connected_ = ::connect(fd_, reinterpret_cast<sockaddr*>(&sa), sizeof sa) == 0;
    // A server that never answers (or never closes) fails the test, not hangs it.
    timeval tv{20, 0};
    ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  }
  ~Client() {
    if (fd_ >= 0) ::close(fd_);
  }
  bool connected() const { return connected_; }
  bool send(std::string_view s) {
    while (!s.empty()) {
      ssize_t n = ::write(fd_, s.data(), s.size());
      if (n <= 0) return false;
      s.remove_prefix(static_cast<size_t>(n));
    }
    return true;
  }
  void shutdown_write() { ::shutdown(fd_, SHUT_WR); }
  // Reads one '\n'-terminated line; "" on EOF/error.
  std::string read_line() {
    for (;;) {
      size_t nl = buf_.find('\n');
      if (nl != std::string::npos) {
        std::string line = buf_.substr(0, nl);
        buf_.erase(0, nl + 1);
        return line;
      }
      char tmp[4096];
      ssize_t n = ::read(fd_, tmp, sizeof tmp);
      if (n <= 0) return {};
      buf_.append(tmp, static_cast<size_t>(n));
    }
  }
  // True when the server closed the connection (read returns 0).
  bool read_eof() {
    char c;
    return buf_.empty() && ::read(fd_, &c, 1) == 0;
  }

 private:
  int fd_ = -1;
  bool connected_ = false;
  std::string buf_;
};

class Echo : public Server::Handler {
 public:
  Server* server = nullptr;
  std::vector<std::string> lines;
  std::atomic<int> closed{0};
  int too_long = 0;
  bool defer = false;               // queue lines and answer later (pause test)
  std::vector<std::pair<uint64_t, std::string>> queued;
  void on_line(uint64_t id, std::string_view line) override {
    lines.emplace_back(line);
    if (defer) {
      queued.emplace_back(id, std::string(line));
      return;
    }
    server->respond(id, "{\"echo\":" + std::string(line) + "}");
  }
  void on_too_long(uint64_t id) override {
    ++too_long;
    server->respond(id, R"({"id":null,"ok":false,"error":"line_too_long"})");
  }
  void on_close(uint64_t) override { ++closed; }
};

// Runs the loop on this thread while fn runs on a client thread; then
// closes the server and drains the loop.
struct Fixture {
  uv_loop_t loop{};
  Echo handler;
  std::unique_ptr<Server> server;
  TempDir dir;
  std::string path = dir.file("s.sock");
  std::atomic<bool> client_done{false};
  uv_async_t wake{};

  explicit Fixture(size_t max_line = 1024) : Fixture(Server::Limits{max_line}) {}
  explicit Fixture(Server::Limits limits) {
    uv_loop_init(&loop);
    server = std::make_unique<Server>(&loop, handler, limits, obs::Logger());
    handler.server = server.get();
    uv_async_init(&loop, &wake, [](uv_async_t*) {});
  }
  template <class Fn, class Tick>
  void run(Fn client_fn, Tick tick) {
    std::thread t([&] {
      client_fn();
      client_done = true;
      uv_async_send(&wake);
    });
    // A short timer lets the test thread act (tick) while the client waits.
    uv_timer_t timer;
    uv_timer_init(&loop, &timer);
    timer.data = &tick;
    uv_timer_start(&timer, [](uv_timer_t* tm) { (*static_cast<Tick*>(tm->data))(); }, 1, 1);
    while (!client_done) uv_run(&loop, UV_RUN_ONCE);
    t.join();
    uv_close(reinterpret_cast<uv_handle_t*>(&timer), nullptr);
    finish();
  }
  template <class Fn>
  void run(Fn client_fn) {
    run(client_fn, [] {});
  }
  void finish() {
    bool done = false;
    server->close([&] { done = true; });
    uv_close(reinterpret_cast<uv_handle_t*>(&wake), nullptr);
    uv_run(&loop, UV_RUN_DEFAULT);
    EXPECT_TRUE(done);
    EXPECT_EQ(uv_loop_close(&loop), 0);
  }
};

}  // namespace pushgw::ingest::test_support
