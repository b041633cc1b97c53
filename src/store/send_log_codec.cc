#include "store/send_log_codec.h"

#include <algorithm>
#include <array>
#include <cstdint>
#include <cstring>

namespace pushgw::store::detail {

namespace {

constexpr unsigned char kVersion1 = 1, kVersion = 2;
constexpr unsigned char kPlatformBits = 0x03, kSameApp = 0x04, kSameCampaign = 0x08, kPackedToken = 0x10;
constexpr unsigned char kKnownFlags = kPlatformBits | kSameApp | kSameCampaign | kPackedToken;
constexpr char kHex[] = "0123456789abcdef";

uint64_t zigzag(int64_t v) { return (static_cast<uint64_t>(v) << 1) ^ static_cast<uint64_t>(v >> 63); }
int64_t unzigzag(uint64_t u) { return static_cast<int64_t>(u >> 1) ^ -static_cast<int64_t>(u & 1); }
// Wrapping differences: any two int64 times encode and decode exactly.
int64_t minus(int64_t a, int64_t b) { return static_cast<int64_t>(static_cast<uint64_t>(a) - static_cast<uint64_t>(b)); }
int64_t plus(int64_t a, int64_t b) { return static_cast<int64_t>(static_cast<uint64_t>(a) + static_cast<uint64_t>(b)); }

// 0-15 for '0'-'9' and 'a'-'f', 0xff for anything else (upper case too:
// packing must give back the very same token).
constexpr std::array<uint8_t, 256> kNibble = [] {
  std::array<uint8_t, 256> t{};
  t.fill(0xff);
  for (int c = '0'; c <= '9'; ++c) t[static_cast<size_t>(c)] = static_cast<uint8_t>(c - '0');
  for (int c = 'a'; c <= 'f'; ++c) t[static_cast<size_t>(c)] = static_cast<uint8_t>(c - 'a' + 10);
  return t;
}();

// The most a row can take besides its app, token and campaign bytes: flags,
// three lengths, three counts and two times, each varint at most 10 bytes.
constexpr size_t kRowOverhead = 1 + 8 * 10;

// The writers below fill a buffer sized for the worst case beforehand (one
// resize per entry instead of a capacity check and a call per field), so
// each row is looked at once.
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

// Writes the token packed (its length in bytes, then the bytes) when it is
// lowercase hex of even length: the end, or nullptr (what was written is
// written over). One table lookup a character and no branch on its value;
// a token that is not hex (FCM's) is given up on within its first 16
// characters.
char* try_pack(char* p, std::string_view hex) {
  if (hex.empty() || hex.size() % 2 != 0) return nullptr;
  p = put_varint(p, hex.size() / 2);
  uint8_t bad = 0;
  for (size_t i = 0; i < hex.size();) {
    for (const size_t block = std::min(hex.size(), i + 16); i < block; i += 2) {
      const uint8_t hi = kNibble[static_cast<unsigned char>(hex[i])];
      const uint8_t lo = kNibble[static_cast<unsigned char>(hex[i + 1])];
      bad |= static_cast<uint8_t>(hi | lo);
      *p++ = static_cast<char>((hi << 4) | (lo & 0x0f));
    }
    if ((bad & 0xf0) != 0) return nullptr;
  }
  return p;
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
  size_t bound = 1;
  for (const SendDelta& d : rows) bound += kRowOverhead + d.app.size() + d.token.size() + d.campaign.size();
  out.resize(bound);
  char* p = out.data();
  *p++ = static_cast<char>(kVersion);
  const SendDelta* prev = nullptr;
  for (const SendDelta& d : rows) {
    char* flags_at = p++;
    auto flags = static_cast<unsigned char>(d.platform);
    if (prev != nullptr && prev->app == d.app) flags |= kSameApp;
    else p = put_bytes(p, d.app);
    if (char* end = try_pack(p, d.token)) {
      flags |= kPackedToken;
      p = end;
    } else {
      p = put_bytes(p, d.token);
    }
    if (prev != nullptr && prev->campaign == d.campaign) flags |= kSameCampaign;
    else p = put_bytes(p, d.campaign);
    p = put_varint(p, d.sent);
    p = put_varint(p, d.delivered);
    p = put_varint(p, d.failed);
    p = put_varint(p, zigzag(minus(d.first_at_ms, prev != nullptr ? prev->first_at_ms : 0)));
    p = put_varint(p, zigzag(minus(d.last_at_ms, d.first_at_ms)));
    *flags_at = static_cast<char>(flags);
    prev = &d;
  }
  out.resize(static_cast<size_t>(p - out.data()));
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
