// Blocking HTTP/1.1 client for tests: one request per connection, reads to EOF.
#pragma once
#include <cstdint>
#include <string>

namespace pushgw::metrics::testing {

struct HttpReply {
  bool ok = false;  // connected and read to EOF
  int status = 0;
  std::string headers;  // status line + headers
  std::string body;
};

// Connects to 127.0.0.1:port, sends raw bytes as they are, reads to EOF
// (gives up after 10 s so a broken server fails the test instead of hanging).
int connect_local(uint16_t port);
HttpReply exchange(uint16_t port, const std::string& raw);
HttpReply read_reply(int fd);
HttpReply get(uint16_t port, const std::string& path);
std::string header(const HttpReply& r, const std::string& name);

}  // namespace pushgw::metrics::testing
