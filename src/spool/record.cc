#include "spool/record.h"

#include "spool/crc32c.h"

namespace pushgw::spool {
namespace {

void put32(std::string& out, uint32_t v) {
  char b[4] = {static_cast<char>(v), static_cast<char>(v >> 8), static_cast<char>(v >> 16),
               static_cast<char>(v >> 24)};
  out.append(b, 4);
}
void put64(std::string& out, uint64_t v) {
  put32(out, static_cast<uint32_t>(v));
  put32(out, static_cast<uint32_t>(v >> 32));
}
void set32(std::string& out, size_t at, uint32_t v) {
  for (int i = 0; i < 4; ++i) out[at + static_cast<size_t>(i)] = static_cast<char>(v >> (8 * i));
}

// Bounds-checked little-endian reader over a payload.
struct Reader {
  std::string_view d;
  size_t pos = 0;
  bool ok = true;
  uint32_t u32() {
    if (pos > d.size() || d.size() - pos < 4) {
      ok = false;
      return 0;
    }
    uint32_t v = 0;
    for (int i = 0; i < 4; ++i) v |= static_cast<uint32_t>(static_cast<unsigned char>(d[pos + static_cast<size_t>(i)])) << (8 * i);
    pos += 4;
    return v;
  }
  uint64_t u64() {
    uint64_t lo = u32();
    uint64_t hi = u32();
    return lo | (hi << 32);
  }
  std::string_view bytes(size_t n) {
    if (pos > d.size() || d.size() - pos < n) {
      ok = false;
      return {};
    }
    std::string_view v = d.substr(pos, n);
    pos += n;
    return v;
  }
  bool done() const { return ok && pos == d.size(); }
};

// Starts a record: reserves the length and CRC, writes the type byte.
size_t begin_record(std::string& out, RecordType t) {
  size_t at = out.size();
  put32(out, 0);
  put32(out, 0);
  out.push_back(static_cast<char>(t));
  return at;
}
void end_record(std::string& out, size_t at) {
  const size_t body = at + 8;
  const size_t len = out.size() - body;
  set32(out, at, static_cast<uint32_t>(len));
  set32(out, at + 4, crc32c(out.data() + body, len));
}

}  // namespace

void encode_segment_header(uint64_t next_seq, std::string& out) {
  out.append(kSegmentMagic);
  put64(out, next_seq);
}

bool decode_segment_header(std::string_view data, uint64_t& next_seq) {
  if (data.size() < kSegmentHeaderBytes || data.substr(0, kSegmentMagic.size()) != kSegmentMagic) return false;
  Reader r{data.substr(kSegmentMagic.size(), 8)};
  next_seq = r.u64();
  return r.ok;
}

void encode_accepted_head(uint64_t seq, int64_t accepted_ms, const BatchCount* batches, size_t nbatches,
                          std::string_view line, std::string& out) {
  size_t at = begin_record(out, RecordType::Accepted);
  put64(out, seq);
  put64(out, static_cast<uint64_t>(accepted_ms));
  put32(out, static_cast<uint32_t>(nbatches));
  for (size_t i = 0; i < nbatches; ++i) {
    put32(out, batches[i].n);
    put32(out, batches[i].count);
  }
  put32(out, static_cast<uint32_t>(line.size()));
  const size_t body = at + 8;
  const size_t head_len = out.size() - body;
  set32(out, at, static_cast<uint32_t>(head_len + line.size()));
  set32(out, at + 4, crc32c_extend(crc32c(out.data() + body, head_len), line.data(), line.size()));
}

void encode_accepted(uint64_t seq, int64_t accepted_ms, const BatchCount* batches, size_t nbatches,
                     std::string_view line, std::string& out) {
  encode_accepted_head(seq, accepted_ms, batches, nbatches, line, out);
  out.append(line);
}

void encode_done(const DoneRange* ranges, size_t n, std::string& out) {
  size_t at = begin_record(out, RecordType::Done);
  put32(out, static_cast<uint32_t>(n));
  for (size_t i = 0; i < n; ++i) {
    put64(out, ranges[i].seq);
    put32(out, ranges[i].n);
    put32(out, ranges[i].first);
    put32(out, ranges[i].count);
  }
  end_record(out, at);
}

ReadStatus next_record(std::string_view data, size_t& pos, RecordView& out) {
  if (pos >= data.size()) return ReadStatus::End;
  if (data.size() - pos < 8) return ReadStatus::Torn;
  Reader h{data.substr(pos, 8)};
  const uint32_t len = h.u32();
  const uint32_t crc = h.u32();
  if (len == 0 || len > kMaxRecordBytes) return ReadStatus::Corrupt;
  if (data.size() - pos - 8 < len) return ReadStatus::Torn;
  std::string_view body = data.substr(pos + 8, len);
  if (crc32c(body.data(), body.size()) != crc) return ReadStatus::Corrupt;
  const auto type = static_cast<uint8_t>(body[0]);
  if (type != static_cast<uint8_t>(RecordType::Accepted) && type != static_cast<uint8_t>(RecordType::Done))
    return ReadStatus::Corrupt;
  out.type = static_cast<RecordType>(type);
  out.payload = body.substr(1);
  pos += 8 + len;
  return ReadStatus::Ok;
}

bool decode_accepted(std::string_view payload, AcceptedRecord& out) {
  Reader r{payload};
  out.seq = r.u64();
  out.accepted_ms = static_cast<int64_t>(r.u64());
  const uint32_t k = r.u32();
  if (!r.ok || k > (payload.size() - r.pos) / 8) return false;
  out.batches.resize(k);
  for (uint32_t i = 0; i < k; ++i) {
    out.batches[i].n = r.u32();
    out.batches[i].count = r.u32();
  }
  const uint32_t line_len = r.u32();
  std::string_view line = r.bytes(line_len);
  if (!r.done()) return false;
  out.line.assign(line);
  return true;
}

bool decode_done(std::string_view payload, std::vector<DoneRange>& out) {
  Reader r{payload};
  const uint32_t k = r.u32();
  if (!r.ok || k > (payload.size() - r.pos) / 20) return false;
  const size_t base = out.size();
  out.resize(base + k);
  for (uint32_t i = 0; i < k; ++i) {
    DoneRange& d = out[base + i];
    d.seq = r.u64();
    d.n = r.u32();
    d.first = r.u32();
    d.count = r.u32();
  }
  if (!r.done()) {
    out.resize(base);
    return false;
  }
  return true;
}

}  // namespace pushgw::spool
