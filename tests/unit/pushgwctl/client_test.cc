// Client against a scripted peer on a Unix socket in a temp directory.
#include "client.h"

#include <gtest/gtest.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstring>
#include <filesystem>
#include <string>
#include <thread>

#include "json_util.h"

namespace pushgw::ctl {
namespace {

// Accepts one connection, reads one request line, writes reply, then keeps
// the connection open until the client closes it (or closes at once).
class ScriptedPeer {
 public:
  ScriptedPeer(std::string reply, bool close_after_reply) {
    std::string tmpl = (std::filesystem::temp_directory_path() / "pushgwctl-XXXXXX").string();
    dir_ = mkdtemp(tmpl.data());
    path_ = dir_ + "/s.sock";
    listen_fd_ = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_un a{};
    a.sun_family = AF_UNIX;
    std::memcpy(a.sun_path, path_.c_str(), path_.size());
    if (bind(listen_fd_, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 || listen(listen_fd_, 1) != 0) std::abort();
    thread_ = std::thread([this, reply = std::move(reply), close_after_reply] {
      const int fd = accept(listen_fd_, nullptr, nullptr);
      char c;
      while (read(fd, &c, 1) == 1 && c != '\n') received_ += c;
      if (!reply.empty() && write(fd, reply.data(), reply.size()) < 0) std::abort();
      if (!close_after_reply) {
        while (read(fd, &c, 1) == 1) {
        }
      }
      close(fd);
    });
  }
  ~ScriptedPeer() {
    thread_.join();
    close(listen_fd_);
    std::filesystem::remove_all(dir_);
  }
  const std::string& path() const { return path_; }
  const std::string& received() const { return received_; }  // valid after the client is gone

 private:
  std::string dir_, path_, received_;
  int listen_fd_ = -1;
  std::thread thread_;
};

TEST(Client, SkipsOtherIdsAndReturnsTheMatchingLine) {
  ScriptedPeer peer("{\"id\":\"other\",\"ok\":true}\n{\"id\":\"mine\",\"ok\":true,\"v\":1}\n", false);
  {
    auto c = Client::connect(peer.path());
    ASSERT_TRUE(c.ok()) << c.error().message;
    ASSERT_TRUE(c->send_line("{\"op\":\"ping\",\"id\":\"mine\"}", deadline_after(10)).ok());
    auto r = c->read_response(id_key_of_string("mine"), deadline_after(10));
    ASSERT_TRUE(r.ok()) << r.error().message;
    EXPECT_EQ(*r, "{\"id\":\"mine\",\"ok\":true,\"v\":1}");
  }
  EXPECT_EQ(peer.received(), "{\"op\":\"ping\",\"id\":\"mine\"}");
}

TEST(Client, TakesANullIdErrorAsTheAnswer) {
  ScriptedPeer peer(
      "{\"id\":null,\"ok\":true}\n{\"id\":null,\"ok\":false,\"error\":\"line_too_long\",\"message\":\"x\"}\n", false);
  auto c = Client::connect(peer.path());
  ASSERT_TRUE(c.ok());
  ASSERT_TRUE(c->send_line("{}", deadline_after(10)).ok());
  auto r = c->read_response(id_key_of_string("mine"), deadline_after(10));
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_NE(r->find("line_too_long"), std::string::npos);
}

TEST(Client, ClosedConnectionAndTimeoutAreErrors) {
  {
    ScriptedPeer peer("", true);
    auto c = Client::connect(peer.path());
    ASSERT_TRUE(c.ok());
    ASSERT_TRUE(c->send_line("{}", deadline_after(10)).ok());
    auto r = c->read_response(kNullIdKey, deadline_after(10));
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().code, "closed");
  }
  {
    ScriptedPeer peer("", false);  // reads the request, never answers
    auto c = Client::connect(peer.path());
    ASSERT_TRUE(c.ok());
    ASSERT_TRUE(c->send_line("{}", deadline_after(10)).ok());
    auto r = c->read_response(kNullIdKey, deadline_after(0.05));
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().code, "timeout");
  }
}

TEST(Client, ConnectFailureNamesThePath) {
  auto c = Client::connect("/nonexistent-dir/pushgw.sock");
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.error().code, "connect_failed");
  EXPECT_NE(c.error().message.find("/nonexistent-dir/pushgw.sock"), std::string::npos);
}

}  // namespace
}  // namespace pushgw::ctl
