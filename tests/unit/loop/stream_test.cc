// loop::Stream and loop::Poll over real sockets on one loop: data both
// ways, write completions, FIN, and the close protocol (no callback after
// close, destruction inside a callback, everything released).
#include <gtest/gtest.h>
#include <sys/socket.h>
#include <unistd.h>

#include <memory>
#include <string>

#include "loop/loop.h"
#include "loop/poll.h"
#include "loop/stream.h"

namespace pushgw::loop {
namespace {

class StreamTest : public ::testing::Test {
 protected:
  void SetUp() override { uv_loop_init(&loop_); }
  void TearDown() override { EXPECT_EQ(run_and_close(&loop_), 0) << describe_handles(&loop_); }

  // A listening TCP stream on 127.0.0.1 with an ephemeral port.
  std::unique_ptr<TcpStream> listener(std::function<void(int)> on_connection) {
    auto l = std::make_unique<TcpStream>(&loop_);
    sockaddr_in a{};
    uv_ip4_addr("127.0.0.1", 0, &a);
    EXPECT_EQ(uv_tcp_bind(l->handle(), reinterpret_cast<const sockaddr*>(&a), 0), 0);
    EXPECT_EQ(l->listen(16, std::move(on_connection)), 0);
    sockaddr_storage ss{};
    int len = sizeof ss;
    uv_tcp_getsockname(l->handle(), reinterpret_cast<sockaddr*>(&ss), &len);
    addr_ = *reinterpret_cast<sockaddr_in*>(&ss);
    return l;
  }
  const sockaddr* addr() const { return reinterpret_cast<const sockaddr*>(&addr_); }
  int l_accept(TcpStream& client) { return l_->accept(client); }

  uv_loop_t loop_{};
  sockaddr_in addr_{};
  TcpStream* l_ = nullptr;  // the listener, for accept() inside its callback
};

TEST_F(StreamTest, EchoBothWaysThenFin) {
  std::unique_ptr<TcpStream> server_side;
  char sbuf[64], cbuf[64];
  std::string got_by_server, got_by_client;
  int server_end = 1, client_end = 1, written = 0;
  auto l = listener([&](int status) {
    ASSERT_EQ(status, 0);
    server_side = std::make_unique<TcpStream>(&loop_);
    ASSERT_EQ(l_accept(*server_side), 0);
  });
  l_ = l.get();
  auto client = std::make_unique<TcpStream>(&loop_);
  bool connected = false;
  ASSERT_EQ(client->connect(addr(), [&](int status) {
    ASSERT_EQ(status, 0);
    connected = true;
  }), 0);
  while (!connected || !server_side) uv_run(&loop_, UV_RUN_ONCE);

  ASSERT_EQ(server_side->read_start(sbuf, sizeof sbuf, [&](const char* p, size_t n) { got_by_server.append(p, n); },
                                    [&](int status) { server_end = status; }), 0);
  ASSERT_EQ(client->read_start(cbuf, sizeof cbuf, [&](const char* p, size_t n) { got_by_client.append(p, n); },
                               [&](int status) { client_end = status; }), 0);
  std::string msg = "hello from the client";
  ASSERT_EQ(client->write(msg, [&](int status) {
    EXPECT_EQ(status, 0);
    ++written;
  }), 0);
  EXPECT_TRUE(msg.empty());  // swapped out, not copied
  while (got_by_server.size() < 21) uv_run(&loop_, UV_RUN_ONCE);
  EXPECT_EQ(got_by_server, "hello from the client");
  std::string reply = "hi";
  ASSERT_EQ(server_side->write(reply), 0);
  ASSERT_EQ(server_side->shutdown([&](int status) { EXPECT_EQ(status, 0); ++written; }), 0);
  while (client_end == 1) uv_run(&loop_, UV_RUN_ONCE);
  EXPECT_EQ(got_by_client, "hi");
  EXPECT_EQ(client_end, UV_EOF);
  EXPECT_FALSE(client->reading());
  client.reset();  // the server sees the FIN
  while (server_end == 1) uv_run(&loop_, UV_RUN_ONCE);
  EXPECT_EQ(server_end, UV_EOF);
  EXPECT_EQ(written, 2);
  server_side.reset();
  l.reset();
}

TEST_F(StreamTest, NoCallbackAfterCloseAndQueuedWritesAreDropped) {
  std::unique_ptr<TcpStream> server_side;
  auto l = listener([&](int) {
    server_side = std::make_unique<TcpStream>(&loop_);
    ASSERT_EQ(l_accept(*server_side), 0);
  });
  l_ = l.get();
  TcpStream client(&loop_);
  bool connected = false;
  ASSERT_EQ(client.connect(addr(), [&](int) { connected = true; }), 0);
  while (!connected || !server_side) uv_run(&loop_, UV_RUN_ONCE);
  int calls = 0;
  std::string big(8 << 20, 'x');  // more than the socket buffers take at once
  ASSERT_EQ(client.write(big, [&](int) { ++calls; }), 0);
  EXPECT_GT(client.write_queue_size(), 0u);
  bool closed = false;
  client.close([&] { closed = true; });
  EXPECT_TRUE(client.closed());
  std::string more = "late";
  EXPECT_EQ(client.write(more), UV_EBADF);
  EXPECT_EQ(more, "late");  // a refused write leaves the bytes with the caller
  while (!closed) uv_run(&loop_, UV_RUN_ONCE);
  EXPECT_EQ(calls, 0);  // the cancelled write never called back
  server_side.reset();
  l.reset();
}

TEST_F(StreamTest, MayBeDestroyedInsideItsReadCallback) {
  std::unique_ptr<TcpStream> server_side;
  char buf[16];
  int reads = 0;
  auto l = listener([&](int) {
    server_side = std::make_unique<TcpStream>(&loop_);
    ASSERT_EQ(l_accept(*server_side), 0);
    server_side->read_start(buf, sizeof buf, [&](const char*, size_t) {
      ++reads;
      server_side.reset();  // its own callback is running
    }, [](int) {});
  });
  l_ = l.get();
  TcpStream client(&loop_);
  ASSERT_EQ(client.connect(addr(), [&](int) {}), 0);
  std::string a(100, 'a');
  ASSERT_EQ(client.write(a), 0);
  while (reads == 0) uv_run(&loop_, UV_RUN_ONCE);
  for (int i = 0; i < 5; ++i) uv_run(&loop_, UV_RUN_NOWAIT);
  EXPECT_EQ(reads, 1);
  EXPECT_FALSE(server_side);
  client.close();
  l.reset();
}

TEST_F(StreamTest, PipePairAndPollSeeReadiness) {
  int fds[2];
  ASSERT_EQ(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds), 0);
  int events_seen = 0;
  auto poll = std::make_unique<Poll>(&loop_, fds[1], [&](int status, int events) {
    EXPECT_EQ(status, 0);
    events_seen |= events;
  });
  ASSERT_TRUE(poll->ok());
  ASSERT_EQ(poll->watch(UV_READABLE), 0);
  PipeStream pipe(&loop_);
  ASSERT_EQ(uv_pipe_open(pipe.handle(), fds[0]), 0);
  std::string ping = "p";
  ASSERT_EQ(pipe.write(ping), 0);
  while ((events_seen & UV_READABLE) == 0) uv_run(&loop_, UV_RUN_ONCE);
  ASSERT_EQ(poll->watch(0), 0);
  poll.reset();
  pipe.close();
  ::close(fds[1]);
}

}  // namespace
}  // namespace pushgw::loop
