// Server side of one HTTP/1.1 connection on bytes in / bytes out, for peers
// that stand for Web Push services answering over HTTP/1.1 (the gateway's
// h2/http1_client.cc talks to those). Same RequestSink as H2Conn.
//
// Requests: request line, headers (names lowercased; Host becomes the
// authority), a Content-Length body; pipelined requests are read in order.
// Responses are framed as H1Options says: Content-Length, chunked (with a
// chunk extension and a trailer, so a client's parser sees both) or
// delimited by closing the connection. A response carrying
// "connection: close" also ends the connection. Disposition::kDelay is
// answered at once (no timer here); kNever leaves the request unanswered.
//
// Not thread-safe: one H1Conn lives on one loop.
#pragma once
#include <cstdint>
#include <string>

#include "h2_server.h"
#include "http_types.h"
#include "stats.h"

namespace pushgw::sim {

struct H1Options {
  enum class Framing : uint8_t { Length, Chunked, CloseDelimited };
  Framing framing = Framing::Length;
};

class H1Conn {
 public:
  H1Conn(RequestSink& sink, Stats& stats, H1Options opts) : sink_(sink), stats_(stats), opts_(opts) {}

  // Plaintext from the client. False: malformed request, close the connection.
  bool feed(const uint8_t* data, size_t n);
  // Appends pending response bytes to out.
  void produce(std::string& out);
  // A response ended the connection: close once the output is written.
  bool finished() const { return closing_ && out_.empty(); }

 private:
  // One complete request at the front of in_: parses, answers, consumes it.
  // Returns false on a malformed head; sets more=false when incomplete.
  bool take_request(bool& more);
  bool parse_head(std::string_view head);
  void respond();

  RequestSink& sink_;
  Stats& stats_;
  H1Options opts_;
  std::string in_, out_;
  SimRequest req_;
  SimResponse resp_;
  size_t body_len_ = 0;
  bool closing_ = false;
};

}  // namespace pushgw::sim
