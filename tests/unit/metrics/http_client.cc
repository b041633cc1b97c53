#include "http_client.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <cstring>
#include <strings.h>

namespace pushgw::metrics::testing {

int connect_local(uint16_t port) {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return -1;
  timeval tv{10, 0};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(port);
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
    close(fd);
    return -1;
  }
  return fd;
}

HttpReply read_reply(int fd) {
  HttpReply r;
  std::string all;
  char buf[65536];
  for (;;) {
    const ssize_t n = recv(fd, buf, sizeof buf, 0);
    if (n == 0) {
      r.ok = true;
      break;
    }
    if (n < 0) {
      if (errno == EINTR) continue;
      r.ok = errno == ECONNRESET && !all.empty();  // reset after a full reply still counts
      break;
    }
    all.append(buf, static_cast<size_t>(n));
  }
  const auto end = all.find("\r\n\r\n");
  if (end == std::string::npos) {
    r.headers = all;
    return r;
  }
  r.headers = all.substr(0, end + 2);
  r.body = all.substr(end + 4);
  if (r.headers.rfind("HTTP/1.1 ", 0) == 0) r.status = std::atoi(r.headers.c_str() + 9);
  return r;
}

HttpReply exchange(uint16_t port, const std::string& raw) {
  const int fd = connect_local(port);
  if (fd < 0) return {};
  size_t off = 0;
  while (off < raw.size()) {
    const ssize_t n = send(fd, raw.data() + off, raw.size() - off, MSG_NOSIGNAL);
    if (n <= 0) break;  // the server may answer and stop reading early
    off += static_cast<size_t>(n);
  }
  HttpReply r = read_reply(fd);
  close(fd);
  return r;
}

HttpReply get(uint16_t port, const std::string& path) {
  return exchange(port, "GET " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\nUser-Agent: test\r\n\r\n");
}

std::string header(const HttpReply& r, const std::string& name) {
  size_t pos = r.headers.find("\r\n");
  while (pos != std::string::npos && pos + 2 < r.headers.size()) {
    const size_t start = pos + 2;
    const size_t eol = r.headers.find("\r\n", start);
    const std::string line = r.headers.substr(start, eol - start);
    const size_t colon = line.find(':');
    if (colon != std::string::npos && strncasecmp(line.c_str(), name.c_str(), name.size()) == 0 &&
        colon == name.size()) {
      return line.substr(colon + 2);
    }
    pos = eol;
  }
  return "";
}

}  // namespace pushgw::metrics::testing
