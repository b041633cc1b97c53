// Server limits (issue 15, item 7): unanswered requests per connection, the
// connection limit and the idle timeout, over a real unix socket.
#include <gtest/gtest.h>

#include <chrono>

#include "ingest/server.h"
#include "server_test_support.h"

namespace pushgw::ingest {
namespace {

using test_support::Client;
using test_support::Fixture;

Server::Limits limits(size_t max_connections, uint64_t max_pipelined, uint64_t idle_ms) {
  Server::Limits l;
  l.max_line_bytes = 1024;
  l.max_connections = max_connections;
  l.max_pipelined = max_pipelined;
  l.idle_timeout_ms = idle_ms;
  return l;
}

// Answers come later (like a feedback page from the store): with 4 allowed
// unanswered, the 5th line of the same write is neither read nor handed out
// until one answer is given.
TEST(ServerLimits, UnansweredRequestsStopProcessing) {
  Fixture f(limits(16, 4, 0));
  ASSERT_TRUE(f.server->listen(f.path, 0660).ok());
  f.handler.defer = true;
  std::atomic<int> got{0};
  size_t held_at = 0;
  int ticks = 0;
  f.run(
      [&] {
        Client c(f.path);
        std::string batch;
        for (int i = 0; i < 10; ++i) batch += "{\"i\":" + std::to_string(i) + "}\n";
        c.send(batch);
        for (int i = 0; i < 10; ++i)
          if (!c.read_line().empty()) ++got;
      },
      [&] {
        // Loop thread: let the loop settle with 4 held, then answer one at a time.
        if (held_at == 0) {
          if (f.handler.queued.size() < 4 || ++ticks < 50) return;
          held_at = f.handler.lines.size();
        }
        if (f.handler.queued.empty()) return;
        auto [id, line] = f.handler.queued.front();
        f.handler.queued.erase(f.handler.queued.begin());
        f.server->respond(id, "{\"echo\":" + line + "}");
      });
  EXPECT_EQ(held_at, 4u);
  EXPECT_EQ(got.load(), 10);
  EXPECT_EQ(f.handler.lines.size(), 10u);
}

// One client more than max_connections gets an error line and EOF; the
// others keep working.
TEST(ServerLimits, ConnectionOverTheLimitIsRefused) {
  Fixture f(limits(2, 64, 0));
  ASSERT_TRUE(f.server->listen(f.path, 0660).ok());
  std::string refused, a, b;
  bool eof = false;
  f.run([&] {
    Client c1(f.path), c2(f.path);
    c1.send("{\"c\":1}\n");
    c2.send("{\"c\":2}\n");
    a = c1.read_line();  // both admitted before the third connects
    b = c2.read_line();
    Client c3(f.path);
    refused = c3.read_line();
    eof = c3.read_eof();
    c1.send("{\"c\":3}\n");
    a = c1.read_line();
  });
  EXPECT_NE(refused.find("too_many_connections"), std::string::npos) << refused;
  EXPECT_TRUE(eof);
  EXPECT_EQ(a, R"({"echo":{"c":3}})");
  EXPECT_EQ(b, R"({"echo":{"c":2}})");
}

// A client that sends nothing, or only part of a line, is closed after the
// idle timeout; one waiting for its answer is not.
TEST(ServerLimits, IdleClientsAreClosedButWaitingOnesAreNot) {
  Fixture f(limits(16, 64, 100));
  ASSERT_TRUE(f.server->listen(f.path, 0660).ok());
  f.handler.defer = true;
  bool silent_eof = false, partial_eof = false;
  std::string answer;
  std::atomic<bool> may_answer{false};
  f.run(
      [&] {
        Client silent(f.path), partial(f.path), waiting(f.path);
        partial.send("{\"half\":");
        waiting.send("{\"w\":1}\n");
        silent_eof = silent.read_eof();  // blocks until the server closes it
        partial_eof = partial.read_eof();
        std::this_thread::sleep_for(std::chrono::milliseconds(300));
        may_answer = true;
        answer = waiting.read_line();
      },
      [&] {
        if (may_answer && !f.handler.queued.empty()) {
          for (auto& [id, line] : f.handler.queued) f.server->respond(id, "{\"echo\":" + line + "}");
          f.handler.queued.clear();
        }
      });
  EXPECT_TRUE(silent_eof);
  EXPECT_TRUE(partial_eof);
  EXPECT_EQ(answer, R"({"echo":{"w":1}})");
}

}  // namespace
}  // namespace pushgw::ingest
