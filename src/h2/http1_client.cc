#include "h2/http1_client.h"

#include <algorithm>
#include <cstring>

#include "base/ascii.h"

namespace pushgw::h2 {
namespace {

// A chunk-size or trailer line (not response headers) longer than this is a protocol error.
constexpr size_t kMaxLineBytes = 8 * 1024;

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) s.remove_suffix(1);
  return s;
}

// True when the comma-separated list holds token (case-insensitive).
bool has_token(std::string_view list, std::string_view token) {
  while (!list.empty()) {
    size_t c = list.find(',');
    if (base::iequals(trim(list.substr(0, c)), token)) return true;
    if (c == std::string_view::npos) break;
    list.remove_prefix(c + 1);
  }
  return false;
}

bool last_token_is(std::string_view list, std::string_view token) {
  size_t c = list.rfind(',');
  return base::iequals(trim(c == std::string_view::npos ? list : list.substr(c + 1)), token);
}

bool skip_request_header(std::string_view name) {
  // Set by the codec itself, or hop-by-hop.
  return name == "host" || name == "content-length" || name == "connection" || name == "transfer-encoding" ||
         name == "keep-alive" || name == "te" || name == "upgrade";
}

}  // namespace

Http1Client::Http1Client(CodecListener& listener, CodecOptions opts, obs::Logger log)
    : listener_(listener), opts_(opts), log_(std::move(log)) {}

bool Http1Client::submit(Stream& s) {
  if (capacity() == 0) return false;
  s.reset_codec_state();
  s.id = 1;
  cur_ = &s;
  written_ = false;
  return true;
}

bool Http1Client::send(std::string& out) {
  if (cur_ == nullptr || written_) return true;
  const HttpRequest& r = *cur_->req;
  out.append(r.method).append(" ").append(r.path.empty() ? "/" : r.path).append(" HTTP/1.1\r\nhost: ");
  out.append(cur_->authority).append("\r\n");
  for (const HeaderList* list : {r.shared.get(), static_cast<const HeaderList*>(&r)}) {
    for (size_t i = 0; list != nullptr && i < list->nheaders; ++i) {
      const HttpHeader& h = list->headers[i];
      if (skip_request_header(h.name)) continue;
      out.append(h.name).append(": ").append(h.value).append("\r\n");
    }
  }
  if (!r.body.empty() || r.method == "POST" || r.method == "PUT" || r.method == "PATCH")
    out.append("content-length: ").append(std::to_string(r.body.size())).append("\r\n");
  out.append("\r\n").append(r.body);
  cur_->headers_sent = true;
  cur_->body_off = r.body.size();
  written_ = true;
  st_ = State::StatusLine;
  header_bytes_ = 0;
  has_length_ = chunked_ = false;
  keep_alive_ = true;
  cur_->resp->status = 0;
  return true;
}

void Http1Client::cancel(Stream& s) {
  if (&s != cur_) return;
  cur_ = nullptr;
  broken_ = true;  // the response may still arrive: this connection cannot be reused
  s.error_code = 0;
  listener_.on_stream_end(s, StreamEnd::Reset);
}

void Http1Client::on_eof() {
  if (cur_ != nullptr && st_ == State::UntilClose) complete();
  broken_ = true;
}

bool Http1Client::protocol_error(const char* what) {
  PGW_LOG(log_, Warn, "conn %u: HTTP/1.1 response: %s", opts_.conn_id, what);
  broken_ = true;
  return false;
}

// Extracts one line ending in LF (CR stripped). Returns false on a header
// section that is too long; have=false when the line is not complete yet.
bool Http1Client::take_line(const char*& p, const char* end, std::string_view& line, bool& have) {
  const char* nl = static_cast<const char*>(memchr(p, '\n', static_cast<size_t>(end - p)));
  size_t n = nl != nullptr ? static_cast<size_t>(nl - p) : static_cast<size_t>(end - p);
  header_bytes_ += n + (nl != nullptr ? 1 : 0);  // the same total however the line was split
  const bool in_headers = st_ == State::StatusLine || st_ == State::Headers;
  if (in_headers && header_bytes_ > opts_.max_response_header_bytes) return too_large("header section");
  if (!in_headers && header_bytes_ > kMaxLineBytes) return protocol_error("line too long");
  if (nl == nullptr) {
    line_.append(p, n);
    p = end;
    have = false;
    return true;
  }
  if (line_.empty()) {
    line = std::string_view(p, n);
  } else {
    line_.append(p, n);
    line = line_;
  }
  if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
  p = nl + 1;
  have = true;
  return true;
}

bool Http1Client::recv(const uint8_t* data, size_t len) {
  const char* p = reinterpret_cast<const char*>(data);
  const char* end = p + len;
  while (p < end) {
    if (broken_) return false;
    switch (st_) {
      case State::Idle:
        return protocol_error(cur_ == nullptr ? "bytes without a request" : "response before request");
      case State::Body:
      case State::ChunkData: {
        size_t n = static_cast<size_t>(std::min<uint64_t>(remaining_, static_cast<uint64_t>(end - p)));
        if (!append_body(p, n)) return false;
        p += n;
        remaining_ -= n;
        if (remaining_ == 0) {
          if (st_ == State::Body) complete();
          else st_ = State::ChunkEnd;
        }
        break;
      }
      case State::UntilClose:
        if (!append_body(p, static_cast<size_t>(end - p))) return false;
        p = end;
        break;
      default: {
        std::string_view line;
        bool have = false;
        if (!take_line(p, end, line, have)) return false;
        if (!have) break;
        bool ok = on_line(line);
        line_.clear();
        if (!ok) return false;
        break;
      }
    }
  }
  return !broken_;
}

bool Http1Client::on_line(std::string_view line) {
  switch (st_) {
    case State::StatusLine: return on_status_line(line);
    case State::Headers: return line.empty() ? on_headers_end() : on_header_line(line);
    case State::ChunkSize: {
      uint64_t v = 0;
      size_t i = 0;
      for (; i < line.size(); ++i) {
        char c = line[i];
        int d = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
        if (d < 0) break;
        if (v > (UINT64_MAX >> 4)) return protocol_error("chunk size overflow");
        v = v * 16 + static_cast<uint64_t>(d);
      }
      if (i == 0) return protocol_error("bad chunk size");
      remaining_ = v;
      st_ = v == 0 ? State::Trailers : State::ChunkData;
      header_bytes_ = 0;  // the line limit is per chunk header, not per body
      return true;
    }
    case State::ChunkEnd:
      if (!line.empty()) return protocol_error("missing CRLF after chunk");
      st_ = State::ChunkSize;
      header_bytes_ = 0;
      return true;
    case State::Trailers:
      if (line.empty()) complete();
      return true;
    default:
      return protocol_error("unexpected line");
  }
}

bool Http1Client::on_status_line(std::string_view line) {
  // "HTTP/1.1 200 OK"
  if (line.size() < 12 || line.substr(0, 7) != "HTTP/1." || line[8] != ' ') return protocol_error("bad status line");
  version_minor_ = line[7] - '0';
  int code = 0;
  for (size_t i = 9; i < 12; ++i) {
    if (line[i] < '0' || line[i] > '9') return protocol_error("bad status code");
    code = code * 10 + (line[i] - '0');
  }
  if (code == 101) return protocol_error("unexpected 101 Switching Protocols");
  cur_->resp->status = code;
  cur_->resp->nheaders = 0;
  keep_alive_ = version_minor_ >= 1;
  has_length_ = chunked_ = false;
  st_ = State::Headers;
  return true;
}

bool Http1Client::on_header_line(std::string_view line) {
  size_t colon = line.find(':');
  if (colon == std::string_view::npos || colon == 0) return protocol_error("bad header line");
  std::string_view name = line.substr(0, colon);
  std::string_view value = trim(line.substr(colon + 1));
  if (base::iequals(name, "content-length")) {
    uint64_t v = 0;
    if (value.empty()) return protocol_error("bad content-length");
    for (char c : value) {
      if (c < '0' || c > '9' || v > UINT64_MAX / 10) return protocol_error("bad content-length");
      v = v * 10 + static_cast<uint64_t>(c - '0');
    }
    if (has_length_ && v != remaining_) return protocol_error("conflicting content-length");
    has_length_ = true;
    remaining_ = v;
  } else if (base::iequals(name, "transfer-encoding")) {
    chunked_ = last_token_is(value, "chunked");
  } else if (base::iequals(name, "connection")) {
    if (has_token(value, "close")) keep_alive_ = false;
    else if (has_token(value, "keep-alive")) keep_alive_ = true;
  }
  HttpResponse& resp = *cur_->resp;
  if (resp.status >= 200) {
    if (resp.nheaders >= opts_.max_response_headers) return too_large("header fields");
    resp.add_header(name, value);
    std::string& n = resp.headers[resp.nheaders - 1].name;
    for (char& c : n) c = static_cast<char>(base::to_lower(c));
  }
  return true;
}

bool Http1Client::on_headers_end() {
  int status = cur_->resp->status;
  header_bytes_ = 0;
  if (status < 200) {  // interim response: the real one follows
    st_ = State::StatusLine;
    return true;
  }
  if (status == 204 || status == 304 || cur_->req->method == "HEAD") {
    complete();
  } else if (chunked_) {
    st_ = State::ChunkSize;
  } else if (has_length_) {
    if (remaining_ == 0) complete();
    else st_ = State::Body;
  } else {
    keep_alive_ = false;  // body ends when the server closes
    st_ = State::UntilClose;
  }
  return true;
}

bool Http1Client::append_body(const char* p, size_t n) {
  std::string& body = cur_->resp->body;
  const size_t room = opts_.max_response_body - body.size();
  // What fits is kept either way, so the outcome does not depend on how
  // the bytes were split across reads.
  body.append(p, std::min(n, room));
  return n <= room || too_large("body");
}

// HTTP/1.1 cannot abandon a response: the stream ends TooLarge and the
// connection with it.
bool Http1Client::too_large(const char* what) {
  PGW_LOG(log_, Warn, "conn %u: response %s past its cap (%zu header bytes, %zu fields, %zu body bytes): closing",
          opts_.conn_id, what, opts_.max_response_header_bytes, opts_.max_response_headers, opts_.max_response_body);
  Stream* s = cur_;
  cur_ = nullptr;
  broken_ = true;
  st_ = State::Idle;
  if (s != nullptr) {
    s->too_large = true;
    listener_.on_stream_end(*s, StreamEnd::TooLarge);
  }
  return false;
}

void Http1Client::complete() {
  Stream* s = cur_;
  cur_ = nullptr;
  st_ = State::Idle;
  if (!keep_alive_) accepting_ = false;
  s->response_complete = true;
  listener_.on_stream_end(*s, StreamEnd::Complete);
}

}  // namespace pushgw::h2
