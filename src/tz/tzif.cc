// TZif (RFC 8536) decoding. Files come from the file system but are read
// like untrusted input: counts are checked against the bytes present before
// anything is allocated, and every index is bounds-checked.
#include <limits>

#include "tz/zone.h"

namespace pushgw::tz {
namespace {

constexpr size_t kHeaderBytes = 44;
// Offsets beyond a day and a bit are not real zones (RFC 8536: -25h..26h).
constexpr int32_t kMinOffset = -25 * 3600, kMaxOffset = 26 * 3600;

struct Header {
  char version = 0;
  uint32_t isutcnt = 0, isstdcnt = 0, leapcnt = 0, timecnt = 0, typecnt = 0, charcnt = 0;
  // Bytes of the data block that follows, with `time_bytes`-byte times.
  uint64_t block_bytes(uint64_t time_bytes) const {
    return uint64_t{timecnt} * time_bytes + timecnt + uint64_t{typecnt} * 6 + charcnt +
           uint64_t{leapcnt} * (time_bytes + 4) + isstdcnt + isutcnt;
  }
};

class Reader {
 public:
  explicit Reader(std::string_view d) : d_(d) {}
  size_t left() const { return d_.size() - pos_; }
  bool u8(uint8_t& v) {
    if (left() < 1) return false;
    v = static_cast<uint8_t>(d_[pos_++]);
    return true;
  }
  bool be32(uint32_t& v) {
    if (left() < 4) return false;
    v = 0;
    for (int i = 0; i < 4; ++i) v = (v << 8) | static_cast<uint8_t>(d_[pos_++]);
    return true;
  }
  bool be64(uint64_t& v) {
    if (left() < 8) return false;
    v = 0;
    for (int i = 0; i < 8; ++i) v = (v << 8) | static_cast<uint8_t>(d_[pos_++]);
    return true;
  }
  bool skip(uint64_t n) {
    if (left() < n) return false;
    pos_ += static_cast<size_t>(n);
    return true;
  }
  std::string_view rest() const { return d_.substr(pos_); }

 private:
  std::string_view d_;
  size_t pos_ = 0;
};

Error invalid(const char* why) { return make_error("tzif_invalid", why); }

Result<Header> read_header(Reader& r) {
  Header h;
  std::string_view magic = r.rest().substr(0, 4);
  if (magic != "TZif") return invalid("not a TZif file (magic)");
  if (r.left() < kHeaderBytes) return invalid("truncated header");
  (void)r.skip(4);
  uint8_t v = 0;
  (void)r.u8(v);
  h.version = static_cast<char>(v);
  if (h.version != 0 && (h.version < '2' || h.version > '9')) return invalid("unknown version");
  (void)r.skip(15);
  (void)(r.be32(h.isutcnt) && r.be32(h.isstdcnt) && r.be32(h.leapcnt) && r.be32(h.timecnt) && r.be32(h.typecnt) &&
         r.be32(h.charcnt));
  if (h.typecnt == 0 || h.typecnt > 256) return invalid("type count must be 1..256");
  if ((h.isutcnt != 0 && h.isutcnt != h.typecnt) || (h.isstdcnt != 0 && h.isstdcnt != h.typecnt))
    return invalid("indicator counts must be 0 or the type count");
  return h;
}

// Reads one data block (times of time_bytes bytes) into the zone's tables.
Result<void> read_block(Reader& r, const Header& h, int time_bytes, std::vector<int64_t>& times,
                        std::vector<int32_t>& offsets, int32_t& initial) {
  if (h.block_bytes(static_cast<uint64_t>(time_bytes)) > r.left()) return invalid("truncated data block");
  times.resize(h.timecnt);
  for (auto& t : times) {
    if (time_bytes == 8) {
      uint64_t v = 0;
      (void)r.be64(v);
      t = static_cast<int64_t>(v);
    } else {
      uint32_t v = 0;
      (void)r.be32(v);
      t = static_cast<int32_t>(v);
    }
  }
  for (size_t i = 1; i < times.size(); ++i)
    if (times[i] <= times[i - 1]) return invalid("transition times not ascending");
  std::vector<uint8_t> idx(h.timecnt);
  for (auto& i : idx) {
    (void)r.u8(i);
    if (i >= h.typecnt) return invalid("transition type index out of range");
  }
  std::vector<int32_t> type_offset(h.typecnt);
  for (auto& off : type_offset) {
    uint32_t u = 0;
    uint8_t isdst = 0, desig = 0;
    (void)(r.be32(u) && r.u8(isdst) && r.u8(desig));
    off = static_cast<int32_t>(u);
    if (off < kMinOffset || off > kMaxOffset) return invalid("UTC offset out of range");
    if (isdst > 1) return invalid("isdst must be 0 or 1");
    if (h.charcnt > 0 && desig >= h.charcnt) return invalid("designation index out of range");
  }
  offsets.resize(h.timecnt);
  for (size_t i = 0; i < idx.size(); ++i) offsets[i] = type_offset[idx[i]];
  initial = type_offset[0];
  // Designations, leap-second records and the std/wall and UT/local
  // indicators do not change the offset at an instant.
  (void)r.skip(h.charcnt + uint64_t{h.leapcnt} * static_cast<uint64_t>(time_bytes + 4) + h.isstdcnt + h.isutcnt);
  return ok();
}

}  // namespace

Result<Zone> Zone::parse_tzif(std::string_view data) {
  Reader r(data);
  auto h1 = read_header(r);
  if (!h1) return h1.error();
  Zone z;
  if (h1->version == 0) {
    if (auto b = read_block(r, *h1, 4, z.times_, z.offsets_, z.initial_); !b) return b.error();
    return z;
  }
  // Version 2+: skip the 32-bit block, read the 64-bit one and the footer.
  if (!r.skip(h1->block_bytes(4))) return invalid("truncated version 1 data block");
  auto h2 = read_header(r);
  if (!h2) return h2.error();
  if (auto b = read_block(r, *h2, 8, z.times_, z.offsets_, z.initial_); !b) return b.error();
  std::string_view footer = r.rest();
  if (footer.size() < 2 || footer.front() != '\n') return invalid("missing footer");
  const size_t end = footer.find('\n', 1);
  if (end == std::string_view::npos) return invalid("unterminated footer");
  const std::string_view tz = footer.substr(1, end - 1);
  if (!tz.empty()) {
    z.rule_ = PosixTz::parse(tz);
    if (!z.rule_) return invalid("footer is not a POSIX TZ string");
  }
  return z;
}

}  // namespace pushgw::tz
