#include "store/send_log_codec.h"

#include <bit>
#include <cstdint>
#include <cstring>

namespace pushgw::store::detail {

namespace {

constexpr unsigned char kVersion = 1;

// LEB128 length of v (1..10 bytes).
size_t varint_size(uint64_t v) { return (static_cast<size_t>(std::bit_width(v | 1)) + 6) / 7; }

// The writers below fill a buffer sized by row_size() beforehand: one
// resize per entry instead of a capacity check and a call per field.
char* put_varint(char* p, uint64_t v) {
  while (v >= 0x80) {
    *p++ = static_cast<char>((v & 0x7f) | 0x80);
    v >>= 7;
  }
  *p++ = static_cast<char>(v);
  return p;
}

char* put_bytes(char* p, std::string_view s) {
  p = put_varint(p, s.size());
  if (!s.empty()) std::memcpy(p, s.data(), s.size());
  return p + s.size();
}

char* put_i64(char* p, int64_t v) {
  auto u = static_cast<uint64_t>(v);
  for (int i = 0; i < 8; ++i) {
    p[i] = static_cast<char>(u & 0xff);
    u >>= 8;
  }
  return p + 8;
}

size_t row_size(const SendDelta& d) {
  return 1 + varint_size(d.app.size()) + d.app.size() + varint_size(d.token.size()) + d.token.size() +
         varint_size(d.campaign.size()) + d.campaign.size() + varint_size(d.sent) + varint_size(d.delivered) +
         varint_size(d.failed) + 16;
}

class Reader {
 public:
  explicit Reader(std::string_view b) : p_(b.data()), end_(b.data() + b.size()) {}
  bool done() const { return p_ == end_; }
  bool byte(unsigned char& v) {
    if (p_ == end_) return false;
    v = static_cast<unsigned char>(*p_++);
    return true;
  }
  bool varint(uint64_t& v) {
    v = 0;
    for (int shift = 0; shift < 64; shift += 7) {
      unsigned char c;
      if (!byte(c)) return false;
      v |= static_cast<uint64_t>(c & 0x7f) << shift;
      if ((c & 0x80) == 0) return true;
    }
    return false;  // more than 10 bytes
  }
  bool bytes(std::string_view& s) {
    uint64_t n;
    if (!varint(n) || n > static_cast<uint64_t>(end_ - p_)) return false;
    s = std::string_view(p_, static_cast<size_t>(n));
    p_ += n;
    return true;
  }
  bool i64(int64_t& v) {
    if (end_ - p_ < 8) return false;
    uint64_t u = 0;
    for (int i = 7; i >= 0; --i) u = (u << 8) | static_cast<unsigned char>(p_[i]);
    p_ += 8;
    v = static_cast<int64_t>(u);
    return true;
  }

 private:
  const char* p_;
  const char* end_;
};

bool read_row(Reader& in, SendDelta& d) {
  unsigned char plat;
  if (!in.byte(plat) || plat > static_cast<unsigned char>(Platform::WebPush)) return false;
  d.platform = static_cast<Platform>(plat);
  return in.bytes(d.app) && in.bytes(d.token) && in.bytes(d.campaign) && in.varint(d.sent) &&
         in.varint(d.delivered) && in.varint(d.failed) && in.i64(d.first_at_ms) && in.i64(d.last_at_ms);
}

}  // namespace

void encode_send_log(const std::vector<SendDelta>& rows, std::string& out) {
  size_t size = 1;
  for (const SendDelta& d : rows) size += row_size(d);
  out.resize(size);
  char* p = out.data();
  *p++ = static_cast<char>(kVersion);
  for (const SendDelta& d : rows) {
    *p++ = static_cast<char>(d.platform);
    p = put_bytes(p, d.app);
    p = put_bytes(p, d.token);
    p = put_bytes(p, d.campaign);
    p = put_varint(p, d.sent);
    p = put_varint(p, d.delivered);
    p = put_varint(p, d.failed);
    p = put_i64(p, d.first_at_ms);
    p = put_i64(p, d.last_at_ms);
  }
}

Result<void> decode_send_log(std::string_view bytes, std::vector<SendDelta>& rows) {
  rows.clear();
  Reader in(bytes);
  unsigned char version;
  if (!in.byte(version) || version != kVersion)
    return make_error("store_log_corrupt", "send log entry: unknown version");
  while (!in.done()) {
    SendDelta d;
    if (!read_row(in, d)) {
      rows.clear();
      return make_error("store_log_corrupt", "send log entry: truncated or malformed row " +
                                                 std::to_string(rows.size()));
    }
    rows.push_back(d);
  }
  return ok();
}

}  // namespace pushgw::store::detail
