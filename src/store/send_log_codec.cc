#include "store/send_log_codec.h"

#include <cstdint>
#include <cstring>

namespace pushgw::store::detail {

namespace {

constexpr unsigned char kVersion = 1;

void put_varint(std::string& out, uint64_t v) {
  while (v >= 0x80) {
    out.push_back(static_cast<char>((v & 0x7f) | 0x80));
    v >>= 7;
  }
  out.push_back(static_cast<char>(v));
}

void put_bytes(std::string& out, std::string_view s) {
  put_varint(out, s.size());
  out.append(s);
}

void put_i64(std::string& out, int64_t v) {
  auto u = static_cast<uint64_t>(v);
  char b[8];
  for (char& c : b) {
    c = static_cast<char>(u & 0xff);
    u >>= 8;
  }
  out.append(b, 8);
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
  out.clear();
  out.push_back(static_cast<char>(kVersion));
  for (const SendDelta& d : rows) {
    out.push_back(static_cast<char>(d.platform));
    put_bytes(out, d.app);
    put_bytes(out, d.token);
    put_bytes(out, d.campaign);
    put_varint(out, d.sent);
    put_varint(out, d.delivered);
    put_varint(out, d.failed);
    put_i64(out, d.first_at_ms);
    put_i64(out, d.last_at_ms);
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
