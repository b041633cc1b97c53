// The plain HTTP/1.1 admin interface (--admin): stats, delivery records,
// decrypted Web Push messages, reset, live faults, FCM token expiry.
// One request per connection (the answer carries "connection: close"), which
// is all curl and the tests' tiny clients need.
#pragma once
#include <uv.h>

#include <string>
#include <string_view>
#include <unordered_set>

#include "core.h"
#include "pushgw/result.h"

namespace pushgw::sim {

struct AdminRequest {
  std::string method;
  std::string target;  // path and query
  std::string body;
};

// Parses one request from the start of buf. kIncomplete: read more.
enum class AdminParse { kIncomplete, kDone, kBad, kTooLarge };
AdminParse parse_admin_request(std::string_view buf, AdminRequest& out);

struct AdminResponse {
  int status = 200;
  std::string content_type = "application/json";
  std::string body;
};
AdminResponse handle_admin(SimCore& core, const AdminRequest& req);
// Full HTTP/1.1 response text.
std::string serialize_admin_response(const AdminResponse& r);

class AdminServer {
 public:
  AdminServer(uv_loop_t* loop, SimCore& core) : loop_(loop), core_(core) {}
  Result<uint16_t> listen(const std::string& host, uint16_t port);
  // Closes the listener and every open admin connection (loop thread).
  void close();

 private:
  struct Conn;
  static void on_connection(uv_stream_t* server, int status);
  static void on_alloc(uv_handle_t*, size_t, uv_buf_t*);
  static void on_read(uv_stream_t*, ssize_t, const uv_buf_t*);
  static void on_write(uv_write_t*, int);
  static void on_close(uv_handle_t*);
  void close_conn(Conn* c);

  uv_loop_t* loop_;
  SimCore& core_;
  uv_tcp_t listener_;
  bool listening_ = false;
  std::unordered_set<Conn*> conns_;
};

}  // namespace pushgw::sim
