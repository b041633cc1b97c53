// Server over a real unix socket: a client thread talks to a loop running on
// the test thread; the handler echoes each line back as {"echo":...}.
#include "ingest/server.h"

#include <gtest/gtest.h>

#include "server_test_support.h"

namespace pushgw::ingest {
namespace {

using test_support::Client;
using test_support::Echo;
using test_support::Fixture;
using test_support::TempDir;

TEST(Server, PipelinedAndSplitRequests) {
  Fixture f;
  ASSERT_TRUE(f.server->listen(f.path, 0600).ok());
  struct stat st {};
  ASSERT_EQ(::stat(f.path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  std::vector<std::string> got;
  f.run([&] {
    Client c(f.path);
    ASSERT_TRUE(c.connected());
    // Many lines in one write, then one line split byte by byte, CRLF ending.
    c.send("{\"a\":1}\n{\"a\":2}\n\n{\"a\":3}\n");
    std::string split = "{\"b\":\"split\"}\r\n";
    for (char ch : split) c.send(std::string_view(&ch, 1));
    for (int i = 0; i < 4; ++i) got.push_back(c.read_line());
  });
  EXPECT_EQ(got, (std::vector<std::string>{R"({"echo":{"a":1}})", R"({"echo":{"a":2}})", R"({"echo":{"a":3}})",
                                           R"({"echo":{"b":"split"}})"}));
  struct stat gone {};
  EXPECT_NE(::stat(f.path.c_str(), &gone), 0);  // close() unlinked the socket
}

TEST(Server, LineTooLongKeepsConnectionUsable) {
  Fixture f(64);
  ASSERT_TRUE(f.server->listen(f.path, 0660).ok());
  std::vector<std::string> got;
  f.run([&] {
    Client c(f.path);
    c.send(std::string(200, 'x'));
    c.send(std::string(200, 'y') + "\n{\"ok\":1}\n");
    got.push_back(c.read_line());
    got.push_back(c.read_line());
  });
  EXPECT_EQ(f.handler.too_long, 1);
  ASSERT_EQ(got.size(), 2u);
  EXPECT_EQ(got[0], R"({"id":null,"ok":false,"error":"line_too_long"})");
  EXPECT_EQ(got[1], R"({"echo":{"ok":1}})");
}

TEST(Server, HalfCloseDeliversLastLineAndClosesAfterResponses) {
  Fixture f;
  ASSERT_TRUE(f.server->listen(f.path, 0660).ok());
  std::vector<std::string> got;
  bool eof = false;
  f.run([&] {
    Client c(f.path);
    c.send("{\"x\":1}\n{\"x\":2}");  // last line without '\n'
    c.shutdown_write();
    got.push_back(c.read_line());
    got.push_back(c.read_line());
    eof = c.read_eof();
  });
  EXPECT_EQ(got, (std::vector<std::string>{R"({"echo":{"x":1}})", R"({"echo":{"x":2}})"}));
  EXPECT_TRUE(eof);
  EXPECT_EQ(f.handler.closed.load(), 1);
}

TEST(Server, PauseHoldsLinesUntilResume) {
  Fixture f;
  ASSERT_TRUE(f.server->listen(f.path, 0660).ok());
  f.handler.defer = true;
  std::atomic<int> phase{0};
  std::vector<std::string> got;
  size_t lines_while_paused = 0;
  f.run(
      [&] {
        Client c(f.path);
        c.send("{\"n\":1}\n{\"n\":2}\n{\"n\":3}\n");
        got.push_back(c.read_line());
        got.push_back(c.read_line());
        got.push_back(c.read_line());
      },
      [&] {
        // Tick on the loop thread: the first line pauses; later answer all.
        if (phase == 0 && !f.handler.lines.empty()) {
          f.server->pause_reading();
          lines_while_paused = f.handler.lines.size();
          phase = 1;
        } else if (phase == 1) {
          EXPECT_EQ(f.handler.lines.size(), lines_while_paused);  // nothing delivered while paused
          f.handler.defer = false;
          for (auto& [id, line] : f.handler.queued) f.server->respond(id, "{\"echo\":" + line + "}");
          f.handler.queued.clear();
          f.server->resume_reading();
          phase = 2;
        }
      });
  EXPECT_EQ(got.size(), 3u);
  EXPECT_EQ(f.handler.lines.size(), 3u);
}

// Pausing inside on_line stops delivery of the rest of the same read.
class PausingEcho : public Echo {
 public:
  void on_line(uint64_t id, std::string_view line) override {
    Echo::on_line(id, line);
    if (lines.size() == 1) server->pause_reading();
  }
};

TEST(Server, PauseInsideOnLineStopsSameChunk) {
  uv_loop_t loop;
  uv_loop_init(&loop);
  PausingEcho h;
  Server s(&loop, h, 1024, obs::Logger());
  h.server = &s;
  TempDir dir;
  std::string path = dir.file("p.sock");
  ASSERT_TRUE(s.listen(path, 0660).ok());
  Client c(path);
  ASSERT_TRUE(c.send("{\"n\":1}\n{\"n\":2}\n{\"n\":3}\n"));
  while (h.lines.empty()) uv_run(&loop, UV_RUN_ONCE);
  uv_run(&loop, UV_RUN_NOWAIT);
  EXPECT_EQ(h.lines.size(), 1u);
  s.resume_reading();
  while (h.lines.size() < 3) uv_run(&loop, UV_RUN_ONCE);
  EXPECT_EQ(c.read_line(), R"({"echo":{"n":1}})");
  EXPECT_EQ(c.read_line(), R"({"echo":{"n":2}})");
  EXPECT_EQ(c.read_line(), R"({"echo":{"n":3}})");
  bool done = false;
  s.close([&] { done = true; });
  uv_run(&loop, UV_RUN_DEFAULT);
  EXPECT_TRUE(done);
  EXPECT_EQ(uv_loop_close(&loop), 0);
}

// Under back-pressure only lines that need queue room wait: a line holding
// "send" is kept with everything its connection sent after it, while another
// client's query is answered at once. The holding connection is waiting for
// the daemon, so the idle timeout does not close it.
class SendHoldingEcho : public Echo {
 public:
  bool holds_while_paused(uint64_t, std::string_view line) override {
    return line.find("send") != std::string_view::npos;
  }
};

TEST(Server, PauseHoldsOnlySendsAndAnswersQueries) {
  uv_loop_t loop;
  uv_loop_init(&loop);
  SendHoldingEcho h;
  Server s(&loop, h, Server::Limits{1024, 16, 64, 100}, obs::Logger());
  h.server = &s;
  TempDir dir;
  std::string path = dir.file("h.sock");
  ASSERT_TRUE(s.listen(path, 0660).ok());
  s.pause_reading();
  // A ticking timer keeps UV_RUN_ONCE returning, so every wait has a deadline.
  uv_timer_t tick;
  uv_timer_init(&loop, &tick);
  uv_timer_start(&tick, [](uv_timer_t*) {}, 20, 20);
  auto run_until = [&](auto done, uint64_t ms) {
    const uint64_t until = uv_now(&loop) + ms;
    while (!done() && uv_now(&loop) < until) uv_run(&loop, UV_RUN_ONCE);
  };
  Client sender(path), monitor(path);
  ASSERT_TRUE(sender.send("{\"q\":0}\n{\"op\":\"send\",\"n\":1}\n{\"q\":1}\n"));
  ASSERT_TRUE(monitor.send("{\"q\":2}\n"));
  // The query before the send and the other client's query are answered
  // while paused; the send and the query behind it are not delivered.
  run_until([&] { return h.lines.size() >= 2; }, 10000);
  ASSERT_EQ(h.lines.size(), 2u);
  EXPECT_EQ(monitor.read_line(), R"({"echo":{"q":2}})");
  EXPECT_EQ(sender.read_line(), R"({"echo":{"q":0}})");
  // Several idle-timeout periods pass while the send is held.
  run_until([] { return false; }, 450);
  EXPECT_EQ(h.lines.size(), 2u);
  EXPECT_EQ(s.connections(), 1u);  // the idle monitor went; the sender did not
  s.resume_reading();
  run_until([&] { return h.lines.size() >= 4; }, 10000);
  ASSERT_EQ(h.lines.size(), 4u);
  EXPECT_EQ(sender.read_line(), R"({"echo":{"op":"send","n":1}})");
  EXPECT_EQ(sender.read_line(), R"({"echo":{"q":1}})");
  uv_timer_stop(&tick);
  uv_close(reinterpret_cast<uv_handle_t*>(&tick), nullptr);
  bool done = false;
  s.close([&] { done = true; });
  uv_run(&loop, UV_RUN_DEFAULT);
  EXPECT_TRUE(done);
  EXPECT_EQ(uv_loop_close(&loop), 0);
}

// Answers every line with 1 MiB: a client that does not read makes the
// server stop reading it once 8 MiB are queued.
class BigEcho : public Echo {
 public:
  void on_line(uint64_t id, std::string_view line) override {
    lines.emplace_back(line);
    server->respond(id, std::string(1 << 20, 'r'));
  }
};

TEST(Server, SlowReaderStopsBeingRead) {
  uv_loop_t loop;
  uv_loop_init(&loop);
  BigEcho h;
  Server s(&loop, h, 1024, obs::Logger());
  h.server = &s;
  TempDir dir;
  std::string path = dir.file("slow.sock");
  ASSERT_TRUE(s.listen(path, 0660).ok());
  std::atomic<bool> may_read{false}, client_done{false};
  std::atomic<int> responses{0};
  uv_async_t wake;
  uv_async_init(&loop, &wake, [](uv_async_t*) {});
  std::thread client([&] {
    Client c(path);
    std::string batch;
    for (int i = 0; i < 40; ++i) batch += "{\"i\":" + std::to_string(i) + "}\n";
    c.send(batch);
    while (!may_read) std::this_thread::yield();
    for (int i = 0; i < 40; ++i)
      if (c.read_line().size() == (1u << 20)) ++responses;
    client_done = true;
    uv_async_send(&wake);
  });
  while (h.lines.empty()) uv_run(&loop, UV_RUN_ONCE);
  for (int i = 0; i < 50; ++i) uv_run(&loop, UV_RUN_NOWAIT);
  size_t before = h.lines.size();
  EXPECT_GE(before, 8u);
  EXPECT_LT(before, 40u);  // the rest of the same read is held back
  may_read = true;
  while (!client_done) uv_run(&loop, UV_RUN_ONCE);
  client.join();
  EXPECT_EQ(h.lines.size(), 40u);
  EXPECT_EQ(responses.load(), 40);
  bool done = false;
  s.close([&] { done = true; });
  uv_close(reinterpret_cast<uv_handle_t*>(&wake), nullptr);
  uv_run(&loop, UV_RUN_DEFAULT);
  EXPECT_TRUE(done);
  EXPECT_EQ(uv_loop_close(&loop), 0);
}

TEST(Server, ManyClientsAndConnectionCount) {
  Fixture f;
  ASSERT_TRUE(f.server->listen(f.path, 0660).ok());
  std::atomic<int> good{0};
  f.run([&] {
    std::vector<std::unique_ptr<Client>> cs;
    for (int i = 0; i < 8; ++i) cs.push_back(std::make_unique<Client>(f.path));
    for (int i = 0; i < 8; ++i) cs[i]->send("{\"c\":" + std::to_string(i) + "}\n");
    for (int i = 0; i < 8; ++i)
      if (cs[i]->read_line() == "{\"echo\":{\"c\":" + std::to_string(i) + "}}") ++good;
  });
  EXPECT_EQ(good.load(), 8);
  EXPECT_EQ(f.server->connections(), 0u);  // close() dropped them
  EXPECT_EQ(f.handler.closed.load(), 8);
}

TEST(Server, RespondToGoneConnectionIsDropped) {
  uv_loop_t loop;
  uv_loop_init(&loop);
  Echo h;
  Server s(&loop, h, 1024, obs::Logger());
  h.server = &s;
  s.respond(12345, "nobody");  // no crash, nothing queued
  EXPECT_EQ(s.connections(), 0u);
  bool done = false;
  s.close([&] { done = true; });
  uv_run(&loop, UV_RUN_DEFAULT);
  EXPECT_TRUE(done);
  EXPECT_EQ(uv_loop_close(&loop), 0);
}

TEST(Server, RefusesNonSocketPathAndLiveSocket) {
  TempDir dir;
  std::string file = dir.file("plain");
  FILE* fp = std::fopen(file.c_str(), "w");
  ASSERT_NE(fp, nullptr);
  std::fclose(fp);
  uv_loop_t loop;
  uv_loop_init(&loop);
  Echo h;
  Server a(&loop, h, 1024, obs::Logger());
  Server b(&loop, h, 1024, obs::Logger());
  auto r = a.listen(file, 0660);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, "listen_failed");
  ::unlink(file.c_str());
  std::string sock = dir.file("live.sock");
  ASSERT_TRUE(a.listen(sock, 0660).ok());
  auto r2 = b.listen(sock, 0660);
  EXPECT_FALSE(r2.ok());  // another server accepts there
  int done = 0;
  a.close([&] { ++done; });
  b.close([&] { ++done; });
  uv_run(&loop, UV_RUN_DEFAULT);
  EXPECT_EQ(done, 2);
  EXPECT_EQ(uv_loop_close(&loop), 0);
}

TEST(Server, StaleSocketIsReplaced) {
  TempDir dir;
  std::string sock = dir.file("stale.sock");
  int fd = ::socket(AF_UNIX, SOCK_STREAM, 0);
  sockaddr_un sa{};
  sa.sun_family = AF_UNIX;
  std::snprintf(sa.sun_path, sizeof sa.sun_path, "%s", sock.c_str());
  ASSERT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&sa), sizeof sa), 0);
  ::close(fd);  // bound, never listened: stale file stays
  uv_loop_t loop;
  uv_loop_init(&loop);
  Echo h;
  Server s(&loop, h, 1024, obs::Logger());
  EXPECT_TRUE(s.listen(sock, 0660).ok());
  bool done = false;
  s.close([&] { done = true; });
  uv_run(&loop, UV_RUN_DEFAULT);
  EXPECT_TRUE(done);
  EXPECT_EQ(uv_loop_close(&loop), 0);
}

TEST(Server, PeerCredCheckRefusesOthers) {
  Fixture f;
  ASSERT_TRUE(f.server->listen(f.path, 0666).ok());
  // Our own uid is always admitted even with a list that does not name it.
  f.server->set_allowed({::geteuid() + 12345}, {});
  std::string got;
  f.run([&] {
    Client c(f.path);
    c.send("{\"me\":1}\n");
    got = c.read_line();
  });
  EXPECT_EQ(got, R"({"echo":{"me":1}})");
}

TEST(Server, AdoptInheritedSocket) {
  TempDir dir;
  std::string sock = dir.file("adopt.sock");
  int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_un sa{};
  sa.sun_family = AF_UNIX;
  std::snprintf(sa.sun_path, sizeof sa.sun_path, "%s", sock.c_str());
  ASSERT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&sa), sizeof sa), 0);
  ASSERT_EQ(::listen(fd, 16), 0);
  uv_loop_t loop;
  uv_loop_init(&loop);
  Echo h;
  Server s(&loop, h, 1024, obs::Logger());
  h.server = &s;
  ASSERT_TRUE(s.adopt(fd).ok());
  Client c(sock);
  ASSERT_TRUE(c.send("{\"sd\":1}\n"));
  while (h.lines.empty()) uv_run(&loop, UV_RUN_ONCE);
  uv_run(&loop, UV_RUN_NOWAIT);
  EXPECT_EQ(c.read_line(), R"({"echo":{"sd":1}})");
  bool done = false;
  s.close([&] { done = true; });
  uv_run(&loop, UV_RUN_DEFAULT);
  EXPECT_TRUE(done);
  EXPECT_EQ(uv_loop_close(&loop), 0);
  ::unlink(sock.c_str());  // adopted: the owner (systemd) keeps the path
}

}  // namespace
}  // namespace pushgw::ingest
