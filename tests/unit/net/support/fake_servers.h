// Scripted fake HTTP servers for tests: an HTTP/2 server session (nghttp2,
// bytes in/out only, so h2 unit tests can drive it in memory) and an HTTP/1.1
// responder, plus adapters that plug either into TlsServer.
#pragma once
#include <uv.h>

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "tls_server.h"

namespace pushgw::testing {

struct H2Script {
  uint32_t max_concurrent = 100;  // SETTINGS_MAX_CONCURRENT_STREAMS sent first
  int status = 200;
  std::string body = "ok";
  std::vector<std::pair<std::string, std::string>> headers;  // extra response headers
  int goaway_after = 0;      // >0: GOAWAY(last-stream-id = n-th request of the connection), later ones unanswered
  int refuse_every = 0;      // >0: every n-th request of a connection gets RST_STREAM(REFUSED_STREAM)
  bool never_respond = false;
  int lower_after = 0;       // >0: after n requests on a connection, SETTINGS MAX_CONCURRENT_STREAMS = lower_to
  uint32_t lower_to = 0;
  int respond_delay_ms = 0;  // >0: responses released by a timer (needs a loop)
};

struct H2ServerStats {
  int requests = 0, responses = 0, refused = 0, goaways = 0;
  uint32_t max_open = 0;   // most concurrent streams seen on one connection
  int violations = 0;      // streams opened beyond an acknowledged lowered limit
  std::string last_method, last_path, last_authority, last_body;
  std::map<std::string, std::string> last_headers;
};

class H2ServerSession {
 public:
  // loop may be null when script.respond_delay_ms == 0. wake is called when
  // output became pending outside recv() (delayed responses).
  H2ServerSession(const H2Script& script, H2ServerStats& stats, uv_loop_t* loop, std::function<void()> wake);
  ~H2ServerSession();
  bool recv(const uint8_t* data, size_t len);
  void send(std::string& out);
  bool finished() const;
  // Lowers (or raises) MAX_CONCURRENT_STREAMS now.
  void set_max_concurrent(uint32_t n);
  void goaway(int32_t last_stream_id);

  struct Impl;

 private:
  std::unique_ptr<Impl> impl_;
};

std::unique_ptr<ServerApp> make_h2_app(ServerConn& conn, const H2Script& script, H2ServerStats& stats);

struct H1Script {
  int status = 201;
  std::string body;
  bool chunked = false;          // chunked transfer coding (body split in 3 chunks)
  bool close_delimited = false;  // no length: body ends when the server closes
  bool connection_close = false; // "connection: close" and close after the response
  bool never_respond = false;
};

struct H1ServerStats {
  int requests = 0;
  std::string last_request_line, last_host, last_body;
  std::map<std::string, std::string> last_headers;
};

std::unique_ptr<ServerApp> make_h1_app(ServerConn& conn, const H1Script& script, H1ServerStats& stats);

}  // namespace pushgw::testing
