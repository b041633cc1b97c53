// A blocking client of the daemon's socket: one connection, one request at a
// time, responses matched by "id". Every wait is bounded by a deadline.
// Errors ("connect_failed", "io_error", "timeout", "closed") name the socket
// path; they never contain request contents.
#pragma once
#include <chrono>
#include <string>
#include <string_view>

#include "pushgw/result.h"

namespace pushgw::ctl {

using Deadline = std::chrono::steady_clock::time_point;
Deadline deadline_after(double seconds);

class Client {
 public:
  static Result<Client> connect(const std::string& socket_path);
  Client(Client&& other) noexcept;
  Client& operator=(Client&&) = delete;
  Client(const Client&) = delete;
  ~Client();

  // Writes line plus '\n'. Blocks while the daemon applies back-pressure.
  Result<void> send_line(std::string_view line, Deadline deadline);
  // Returns the next response line whose id matches id_key (json_util.h).
  // Lines for other ids are skipped. A response with "id":null and "ok":false
  // is also taken: the daemon could not read our id (parse_error,
  // line_too_long), and we have only one request outstanding.
  Result<std::string> read_response(std::string_view id_key, Deadline deadline);

 private:
  Client(int fd, std::string path) : fd_(fd), path_(std::move(path)) {}
  Result<std::string> read_line(Deadline deadline);
  Result<void> wait_for(short events, Deadline deadline);

  int fd_ = -1;
  std::string path_;
  std::string buf_;     // bytes received but not yet returned
  size_t scanned_ = 0;  // prefix of buf_ known to hold no '\n'
};

}  // namespace pushgw::ctl
