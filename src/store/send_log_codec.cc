#include "store/send_log_codec.h"

#include <bit>
#include <cstdint>
#include <cstring>

namespace pushgw::store::detail {

namespace {

constexpr unsigned char kVersion1 = 1, kVersion = 2;
constexpr unsigned char kPlatformBits = 0x03, kSameApp = 0x04, kSameCampaign = 0x08, kPackedToken = 0x10;
constexpr unsigned char kKnownFlags = kPlatformBits | kSameApp | kSameCampaign | kPackedToken;
constexpr char kHex[] = "0123456789abcdef";

// LEB128 length of v (1..10 bytes).
size_t varint_size(uint64_t v) { return (static_cast<size_t>(std::bit_width(v | 1)) + 6) / 7; }

uint64_t zigzag(int64_t v) { return (static_cast<uint64_t>(v) << 1) ^ static_cast<uint64_t>(v >> 63); }
int64_t unzigzag(uint64_t u) { return static_cast<int64_t>(u >> 1) ^ -static_cast<int64_t>(u & 1); }
// Wrapping differences: any two int64 times encode and decode exactly.
int64_t minus(int64_t a, int64_t b) { return static_cast<int64_t>(static_cast<uint64_t>(a) - static_cast<uint64_t>(b)); }
int64_t plus(int64_t a, int64_t b) { return static_cast<int64_t>(static_cast<uint64_t>(a) + static_cast<uint64_t>(b)); }

int nibble(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  return -1;  // upper case too: packing must give back the very same token
}

bool packable(std::string_view t) {
  if (t.empty() || t.size() % 2 != 0) return false;
  for (char c : t)
    if (nibble(c) < 0) return false;
  return true;
}

// The writers below fill a buffer sized beforehand: one resize per entry
// instead of a capacity check and a call per field.
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

char* put_packed(char* p, std::string_view hex) {
  p = put_varint(p, hex.size() / 2);
  for (size_t i = 0; i < hex.size(); i += 2) *p++ = static_cast<char>(nibble(hex[i]) << 4 | nibble(hex[i + 1]));
  return p;
}

// One row as encode writes it, given the row before it.
struct RowShape {
  unsigned char flags;
  uint64_t first_delta, span;
};

RowShape shape(const SendDelta& d, const SendDelta* prev) {
  RowShape s{static_cast<unsigned char>(d.platform), 0, 0};
  if (prev != nullptr && prev->app == d.app) s.flags |= kSameApp;
  if (prev != nullptr && prev->campaign == d.campaign) s.flags |= kSameCampaign;
  if (packable(d.token)) s.flags |= kPackedToken;
  s.first_delta = zigzag(minus(d.first_at_ms, prev != nullptr ? prev->first_at_ms : 0));
  s.span = zigzag(minus(d.last_at_ms, d.first_at_ms));
  return s;
}

size_t bytes_size(size_t n) { return varint_size(n) + n; }

size_t row_size(const SendDelta& d, const RowShape& s) {
  size_t n = 1 + varint_size(d.sent) + varint_size(d.delivered) + varint_size(d.failed) +
             varint_size(s.first_delta) + varint_size(s.span);
  if (!(s.flags & kSameApp)) n += bytes_size(d.app.size());
  n += bytes_size(s.flags & kPackedToken ? d.token.size() / 2 : d.token.size());
  if (!(s.flags & kSameCampaign)) n += bytes_size(d.campaign.size());
  return n;
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
  bool zigzag_varint(int64_t& v) {
    uint64_t u;
    if (!varint(u)) return false;
    v = unzigzag(u);
    return true;
  }

 private:
  const char* p_;
  const char* end_;
};

bool platform_of(unsigned char bits, Platform& p) {
  if (bits > static_cast<unsigned char>(Platform::WebPush)) return false;
  p = static_cast<Platform>(bits);
  return true;
}

bool read_row_v1(Reader& in, SendDelta& d) {
  unsigned char plat;
  return in.byte(plat) && platform_of(plat, d.platform) && in.bytes(d.app) && in.bytes(d.token) &&
         in.bytes(d.campaign) && in.varint(d.sent) && in.varint(d.delivered) && in.varint(d.failed) &&
         in.i64(d.first_at_ms) && in.i64(d.last_at_ms);
}

// text has room for every packed token of the entry (reserved by the
// caller), so appending never moves the views already handed out.
bool read_token(Reader& in, bool packed, std::string& text, std::string_view& token) {
  std::string_view raw;
  if (!in.bytes(raw)) return false;
  if (!packed) {
    token = raw;
    return true;
  }
  if (raw.empty()) return false;  // encode packs only non-empty tokens: one spelling per row
  const size_t at = text.size();
  for (char c : raw) {
    const auto b = static_cast<unsigned char>(c);
    text += kHex[b >> 4];
    text += kHex[b & 0x0f];
  }
  token = std::string_view(text).substr(at);
  return true;
}

bool read_row_v2(Reader& in, const SendDelta* prev, std::string& text, SendDelta& d) {
  unsigned char flags;
  if (!in.byte(flags) || (flags & ~kKnownFlags) != 0 || !platform_of(flags & kPlatformBits, d.platform)) return false;
  if ((flags & (kSameApp | kSameCampaign)) != 0 && prev == nullptr) return false;
  if (flags & kSameApp) d.app = prev->app;
  else if (!in.bytes(d.app)) return false;
  if (!read_token(in, (flags & kPackedToken) != 0, text, d.token)) return false;
  if (flags & kSameCampaign) d.campaign = prev->campaign;
  else if (!in.bytes(d.campaign)) return false;
  int64_t first_delta, span;
  if (!in.varint(d.sent) || !in.varint(d.delivered) || !in.varint(d.failed) || !in.zigzag_varint(first_delta) ||
      !in.zigzag_varint(span))
    return false;
  d.first_at_ms = plus(prev != nullptr ? prev->first_at_ms : 0, first_delta);
  d.last_at_ms = plus(d.first_at_ms, span);
  return true;
}

}  // namespace

void encode_send_log(const std::vector<SendDelta>& rows, std::string& out) {
  size_t size = 1;
  const SendDelta* prev = nullptr;
  for (const SendDelta& d : rows) {
    size += row_size(d, shape(d, prev));
    prev = &d;
  }
  out.resize(size);
  char* p = out.data();
  *p++ = static_cast<char>(kVersion);
  prev = nullptr;
  for (const SendDelta& d : rows) {
    const RowShape s = shape(d, prev);
    *p++ = static_cast<char>(s.flags);
    if (!(s.flags & kSameApp)) p = put_bytes(p, d.app);
    p = s.flags & kPackedToken ? put_packed(p, d.token) : put_bytes(p, d.token);
    if (!(s.flags & kSameCampaign)) p = put_bytes(p, d.campaign);
    p = put_varint(p, d.sent);
    p = put_varint(p, d.delivered);
    p = put_varint(p, d.failed);
    p = put_varint(p, s.first_delta);
    p = put_varint(p, s.span);
    prev = &d;
  }
}

Result<void> decode_send_log(std::string_view bytes, std::vector<SendDelta>& rows, std::string& text) {
  rows.clear();
  text.clear();
  // A packed token spells out in twice its bytes, which the entry holds.
  text.reserve(2 * bytes.size());
  Reader in(bytes);
  unsigned char version;
  if (!in.byte(version) || (version != kVersion && version != kVersion1))
    return make_error("store_log_corrupt", "send log entry: unknown version");
  while (!in.done()) {
    SendDelta d;
    const bool ok = version == kVersion1 ? read_row_v1(in, d)
                                         : read_row_v2(in, rows.empty() ? nullptr : &rows.back(), text, d);
    if (!ok) {
      rows.clear();
      return make_error("store_log_corrupt", "send log entry: truncated or malformed row " +
                                                 std::to_string(rows.size()));
    }
    rows.push_back(d);
  }
  return ok();
}

}  // namespace pushgw::store::detail
