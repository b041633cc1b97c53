// HTTP/1.1 client codec: keep-alive, one request at a time, no pipelining.
// Used when a server's ALPN picks "http/1.1" (some Web Push services, OAuth
// token endpoints) and the pool allows it.
//
// Responses are parsed incrementally (Content-Length, chunked, or delimited
// by connection close); header names are stored lowercase; a response past
// a CodecOptions cap ends its stream TooLarge and the connection. There is no way to abandon a request in HTTP/1.1, so
// cancel() ends the stream and marks the codec finished (the connection must
// close). A response with "connection: close" (or HTTP/1.0 without
// keep-alive) ends the codec's life after that response.
#pragma once
#include <cstdint>
#include <string>

#include "h2/codec.h"
#include "obs/log.h"

namespace pushgw::h2 {

class Http1Client final : public Codec {
 public:
  Http1Client(CodecListener& listener, CodecOptions opts, obs::Logger log);

  std::string_view protocol() const override { return "http/1.1"; }
  bool ready() const override { return true; }
  bool accepting() const override { return accepting_ && !broken_; }
  uint32_t capacity() const override { return accepting() && cur_ == nullptr ? 1 : 0; }
  uint32_t active() const override { return cur_ != nullptr ? 1 : 0; }
  bool submit(Stream& s) override;
  bool recv(const uint8_t* data, size_t len) override;
  void on_eof() override;
  bool send(std::string& out) override;
  bool finished() const override { return broken_ || (!accepting_ && cur_ == nullptr); }
  bool ping() override { return false; }
  void cancel(Stream& s) override;
  void goaway() override { accepting_ = false; }

 private:
  enum class State : uint8_t { Idle, StatusLine, Headers, Body, ChunkSize, ChunkData, ChunkEnd, Trailers, UntilClose };

  bool take_line(const char*& p, const char* end, std::string_view& line, bool& have);
  bool on_line(std::string_view line);
  bool on_status_line(std::string_view line);
  bool on_header_line(std::string_view line);
  bool on_headers_end();
  bool append_body(const char* p, size_t n);  // false: past the cap (too_large() ran)
  bool too_large(const char* what);
  void complete();
  bool protocol_error(const char* what);

  CodecListener& listener_;
  CodecOptions opts_;
  obs::Logger log_;
  Stream* cur_ = nullptr;
  bool written_ = false;
  bool accepting_ = true;
  bool broken_ = false;
  State st_ = State::Idle;
  std::string line_;          // partial line carried across recv() calls
  size_t header_bytes_ = 0;
  uint64_t remaining_ = 0;    // Content-Length or current chunk bytes left
  bool has_length_ = false, chunked_ = false, keep_alive_ = true;
  int version_minor_ = 1;
};

}  // namespace pushgw::h2
