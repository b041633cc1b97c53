#include "client.h"

#include <poll.h>
#include <simdjson.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstring>
#include <utility>

#include "json_util.h"

namespace pushgw::ctl {
namespace {

// A --wait response for a huge batch is one long line; past this it is a bug.
constexpr size_t kMaxResponseBytes = size_t{1} << 31;

}  // namespace

Deadline deadline_after(double seconds) {
  return std::chrono::steady_clock::now() +
         std::chrono::duration_cast<std::chrono::steady_clock::duration>(std::chrono::duration<double>(seconds));
}

Result<Client> Client::connect(const std::string& socket_path) {
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  if (socket_path.size() >= sizeof(addr.sun_path)) {
    return make_error("connect_failed", "socket path too long: " + socket_path);
  }
  std::memcpy(addr.sun_path, socket_path.data(), socket_path.size());
  const int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return make_error("connect_failed", std::string("socket: ") + std::strerror(errno));
  if (::connect(fd, reinterpret_cast<const sockaddr*>(&addr), sizeof(addr)) != 0) {
    const int err = errno;
    close(fd);
    return make_error("connect_failed", "cannot connect to " + socket_path + ": " + std::strerror(err) +
                                            " (is pushgwd running? see --socket / PUSHGW_SOCKET)");
  }
  return Client(fd, socket_path);
}

Client::Client(Client&& other) noexcept
    : fd_(std::exchange(other.fd_, -1)),
      path_(std::move(other.path_)),
      buf_(std::move(other.buf_)),
      scanned_(other.scanned_) {}

Client::~Client() {
  if (fd_ >= 0) close(fd_);
}

Result<void> Client::wait_for(short events, Deadline deadline) {
  for (;;) {
    const auto left =
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) {
      return make_error("timeout", "timed out waiting for the daemon on " + path_ + " (see --timeout)");
    }
    pollfd p{fd_, events, 0};
    const int n = poll(&p, 1, static_cast<int>(std::min<int64_t>(left.count(), 60'000)));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return make_error("io_error", std::string("poll: ") + std::strerror(errno));
    if (n > 0) return ok();  // readiness, or an error the next call reports
  }
}

Result<void> Client::send_line(std::string_view line, Deadline deadline) {
  const std::string_view parts[2] = {line, "\n"};
  for (std::string_view rest : parts) {
    while (!rest.empty()) {
      if (auto w = wait_for(POLLOUT, deadline); !w.ok()) return w;
      const ssize_t n = send(fd_, rest.data(), rest.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
      if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) continue;
      if (n < 0) return make_error("io_error", "lost connection to " + path_ + ": " + std::strerror(errno));
      rest.remove_prefix(static_cast<size_t>(n));
    }
  }
  return ok();
}

Result<std::string> Client::read_line(Deadline deadline) {
  for (;;) {
    const auto nl = buf_.find('\n', scanned_);
    if (nl != std::string::npos) {
      std::string line = buf_.substr(0, nl);
      buf_.erase(0, nl + 1);
      scanned_ = 0;
      return line;
    }
    scanned_ = buf_.size();
    if (buf_.size() > kMaxResponseBytes) return make_error("io_error", "response line from " + path_ + " too long");
    if (auto w = wait_for(POLLIN, deadline); !w.ok()) return w.error();
    char chunk[65536];
    const ssize_t n = recv(fd_, chunk, sizeof chunk, MSG_DONTWAIT);
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) continue;
    if (n < 0) return make_error("io_error", "lost connection to " + path_ + ": " + std::strerror(errno));
    if (n == 0) return make_error("closed", "the daemon closed the connection on " + path_);
    buf_.append(chunk, static_cast<size_t>(n));
  }
}

Result<std::string> Client::read_response(std::string_view id_key, Deadline deadline) {
  simdjson::dom::parser parser;
  for (;;) {
    auto line = read_line(deadline);
    if (!line.ok()) return line;
    auto obj = parse_object(parser, *line);
    if (!obj.ok()) return make_error("io_error", "the daemon sent a line that is not a JSON object");
    const std::string key = id_key_of(*obj);
    if (key == id_key) return line;
    bool ok_value = true;
    if (key == kNullIdKey && !obj->at_key("ok").get_bool().get(ok_value) && !ok_value) return line;
  }
}

}  // namespace pushgw::ctl
