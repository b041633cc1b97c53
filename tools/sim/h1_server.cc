#include "h1_server.h"

#include <charconv>

#include "base/ascii.h"

namespace pushgw::sim {
namespace {

constexpr size_t kMaxHead = 64 * 1024;

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

void append_hex(std::string& out, size_t v) {
  char buf[20];
  auto r = std::to_chars(buf, buf + sizeof buf, v, 16);
  out.append(buf, r.ptr);
}

}  // namespace

bool H1Conn::feed(const uint8_t* data, size_t n) {
  if (closing_) return true;  // past a closing response: the rest is ignored
  in_.append(reinterpret_cast<const char*>(data), n);
  for (bool more = true; more && !closing_;)
    if (!take_request(more)) return false;
  return true;
}

void H1Conn::produce(std::string& out) {
  out.append(out_);
  out_.clear();
}

bool H1Conn::take_request(bool& more) {
  const size_t end = in_.find("\r\n\r\n");
  if (end == std::string::npos) {
    more = false;
    return in_.size() <= kMaxHead;
  }
  if (!parse_head(std::string_view(in_).substr(0, end))) return false;
  if (in_.size() < end + 4 + body_len_) {
    more = false;
    return true;
  }
  req_.body.assign(in_, end + 4, body_len_);
  req_.body_size = body_len_;
  in_.erase(0, end + 4 + body_len_);
  bump(stats_.requests);
  resp_.clear();
  if (sink_.on_request(req_, resp_) != Disposition::kNever) respond();
  return true;
}

bool H1Conn::parse_head(std::string_view head) {
  req_.clear();
  body_len_ = 0;
  const size_t eol = head.find("\r\n");
  const std::string_view line = head.substr(0, eol);
  const size_t sp1 = line.find(' '), sp2 = line.rfind(' ');
  if (sp1 == std::string_view::npos || sp2 <= sp1 || line.substr(sp2 + 1).substr(0, 7) != "HTTP/1.") return false;
  req_.method.assign(line.substr(0, sp1));
  req_.path.assign(line.substr(sp1 + 1, sp2 - sp1 - 1));
  std::string_view rest = eol == std::string_view::npos ? std::string_view() : head.substr(eol + 2);
  std::string name;
  while (!rest.empty()) {
    const size_t e = rest.find("\r\n");
    const std::string_view h = rest.substr(0, e);
    rest = e == std::string_view::npos ? std::string_view() : rest.substr(e + 2);
    const size_t colon = h.find(':');
    if (colon == std::string_view::npos || colon == 0) return false;
    name.clear();
    for (char c : h.substr(0, colon)) name.push_back(base::to_lower(c));
    const std::string_view value = trim(h.substr(colon + 1));
    if (name == "host") req_.authority.assign(value);
    if (name == "content-length") {
      auto r = std::from_chars(value.data(), value.data() + value.size(), body_len_);
      if (r.ec != std::errc() || r.ptr != value.data() + value.size() || body_len_ > SimRequest::kMaxStoredBody)
        return false;
    }
    req_.headers.add(name, value);
  }
  return true;
}

void H1Conn::respond() {
  stats_.count_status(resp_.status);
  out_ += "HTTP/1.1 " + std::to_string(resp_.status) + " Sim\r\n";
  for (size_t i = 0; i < resp_.headers.size(); ++i) {
    out_ += resp_.headers[i].name + ": " + resp_.headers[i].value + "\r\n";
    if (base::iequals(resp_.headers[i].name, "connection") && base::iequals(resp_.headers[i].value, "close"))
      closing_ = true;
  }
  const std::string& b = resp_.body;
  switch (opts_.framing) {
    case H1Options::Framing::Length:
      out_ += "Content-Length: " + std::to_string(b.size()) + "\r\n\r\n" + b;
      break;
    case H1Options::Framing::Chunked: {
      out_ += "Transfer-Encoding: chunked\r\n\r\n";
      const size_t third = b.size() / 3 + 1;
      for (size_t off = 0; off < b.size(); off += third) {
        const std::string_view part = std::string_view(b).substr(off, third);
        append_hex(out_, part.size());
        out_ += ";ext=1\r\n";
        out_ += part;
        out_ += "\r\n";
      }
      out_ += "0\r\nTrailer-X: y\r\n\r\n";
      break;
    }
    case H1Options::Framing::CloseDelimited:
      out_ += "\r\n" + b;
      closing_ = true;
      break;
  }
}

}  // namespace pushgw::sim
