// Client-side HTTP codecs, free of I/O: bytes in through recv(), bytes out
// through send(). The pool glues a Codec to a net::Transport, which keeps
// this module independent of sockets and TLS (tests drive it in memory).
//
// Two implementations: ClientSession (HTTP/2, nghttp2) and Http1Client
// (HTTP/1.1 keep-alive, one request at a time).
#pragma once
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "pushgw/http.h"

namespace pushgw::h2 {

// How a stream ended, as the codec saw it.
enum class StreamEnd : uint8_t {
  Complete,     // the whole response arrived
  Refused,      // RST_STREAM(REFUSED_STREAM): the peer did not process it
  Unprocessed,  // above the peer's GOAWAY last-stream-id, or never sent because of that GOAWAY
  NotSent,      // never left this side for another reason (nothing reached the peer)
  Reset,        // any other RST_STREAM, the peer's or ours (cancel()); error_code says which
  TooLarge,     // the response passed a cap of CodecOptions (h2: we reset the stream; HTTP/1.1: the connection ends)
};

std::string_view to_string(StreamEnd e);

// One request/response exchange. The caller owns it (the pool keeps them in
// a freelist) and keeps it, req, resp and authority valid until on_stream_end.
struct Stream {
  HttpRequest* req = nullptr;
  HttpResponse* resp = nullptr;   // filled by the codec: status, lowercase headers, capped body
  std::string_view authority;     // :authority / Host
  // Codec state, reset by reset_codec_state() before each submit.
  int32_t id = 0;
  uint32_t error_code = 0;        // RST_STREAM code when Reset
  size_t body_off = 0;            // request body bytes handed to the codec so far
  bool headers_sent = false;      // request HEADERS are in the output: the peer may have processed it
  bool response_complete = false;
  bool too_large = false;         // the response passed a CodecOptions cap
  size_t header_bytes = 0;        // response header names + values so far

  void reset_codec_state() {
    id = 0;
    error_code = 0;
    body_off = 0;
    headers_sent = false;
    response_complete = false;
    too_large = false;
    header_bytes = 0;
  }
};

// Per-response bounds: a peer that answers past one of them loses the stream
// (h2: RST_STREAM CANCEL, the stream ends TooLarge) or the connection
// (HTTP/1.1, which cannot abandon a response), so a hostile origin cannot
// make a response buffer grow past them.
struct CodecOptions {
  size_t max_response_body = 65536;          // body bytes
  size_t max_response_header_bytes = 16384;  // header names + values (HTTP/1.1: the whole header section)
  size_t max_response_headers = 64;         // header fields
  uint32_t max_streams = 1000;       // our own cap on concurrent streams, whatever the peer allows
  uint32_t conn_id = 0;              // log tag
};

class CodecListener {
 public:
  // A stream ended; it is no longer the codec's. Called from inside recv(),
  // send(), on_eof() or cancel(): do not call into the codec from here.
  virtual void on_stream_end(Stream& s, StreamEnd how) = 0;
  // Peer GOAWAY: no new streams; streams above last_stream_id end Unprocessed.
  virtual void on_goaway(int32_t last_stream_id, uint32_t error_code) = 0;
  // Peer SETTINGS arrived: ready() and capacity() may have changed.
  virtual void on_settings() = 0;
  virtual void on_ping_ack() = 0;

 protected:
  ~CodecListener() = default;
};

class Codec {
 public:
  virtual ~Codec() = default;  // ends nothing: open streams are the caller's to account for

  virtual std::string_view protocol() const = 0;  // "h2" / "http/1.1"
  // The peer's parameters are known (h2: first SETTINGS seen).
  virtual bool ready() const = 0;
  // New streams allowed (false after GOAWAY either way, "connection: close", errors).
  virtual bool accepting() const = 0;
  // How many more streams may be submitted right now.
  virtual uint32_t capacity() const = 0;
  // Streams submitted and not yet ended.
  virtual uint32_t active() const = 0;
  // Queues a request; false when it cannot be taken now (the caller keeps it).
  virtual bool submit(Stream& s) = 0;
  // Bytes from the peer. false: fatal protocol error, close the connection.
  virtual bool recv(const uint8_t* data, size_t len) = 0;
  // The peer closed the connection (completes a close-delimited HTTP/1.1 body).
  virtual void on_eof() {}
  // Appends everything ready to go to out. false: fatal, close the connection.
  virtual bool send(std::string& out) = 0;
  // Nothing more will be sent or accepted: the connection can be closed.
  virtual bool finished() const = 0;
  // Keepalive probe; false when the protocol has none (HTTP/1.1).
  virtual bool ping() = 0;
  // Abandons a stream (timeout). It ends with Reset, possibly inside this call.
  virtual void cancel(Stream& s) = 0;
  // Graceful close: no new streams; open ones continue.
  virtual void goaway() = 0;
};

}  // namespace pushgw::h2
