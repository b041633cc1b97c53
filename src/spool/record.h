// Spool record encoding. Pure (no I/O): the writer encodes, replay decodes,
// the unit tests and fuzzing drive both directly.
//
// A segment file is a 16-byte header ("PGWSPL01" + u64 next sequence number
// at creation, little-endian) followed by records:
//
//   u32 body_len | u32 crc32c(body) | body            (body_len >= 1)
//   body = u8 type | payload
//
//   type 1, Accepted: u64 seq | i64 accepted_ms | u32 k | k x (u32 n, u32 count)
//                     | u32 line_len | line bytes
//     One accepted `send` request: the raw request line and, per entry n of
//     its "notifications" array that had accepted recipients, how many.
//   type 2, Done:     u32 k | k x (u64 seq, u32 n, u32 first, u32 count)
//     Recipients [first, first+count) of entry n of request seq reached a
//     final outcome.
//
// A record is valid only when it is complete and its CRC matches; replay
// stops at the first invalid record of a segment (a torn tail after a crash).
#pragma once
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace pushgw::spool {

inline constexpr std::string_view kSegmentMagic = "PGWSPL01";
inline constexpr size_t kSegmentHeaderBytes = 16;
inline constexpr uint32_t kMaxRecordBytes = 1u << 30;

enum class RecordType : uint8_t { Accepted = 1, Done = 2 };

struct BatchCount {
  uint32_t n = 0;      // index in the request's "notifications"
  uint32_t count = 0;  // accepted recipients of that entry
};

struct DoneRange {
  uint64_t seq = 0;
  uint32_t n = 0;
  uint32_t first = 0;
  uint32_t count = 0;
};

struct AcceptedRecord {
  uint64_t seq = 0;
  int64_t accepted_ms = 0;
  std::vector<BatchCount> batches;
  std::string line;
};

void encode_segment_header(uint64_t next_seq, std::string& out);
// False when data does not start with a valid header.
bool decode_segment_header(std::string_view data, uint64_t& next_seq);

void encode_accepted(uint64_t seq, int64_t accepted_ms, const BatchCount* batches, size_t nbatches,
                     std::string_view line, std::string& out);
// The same record without its trailing line bytes (length and CRC still
// cover them): head + line == encode_accepted(). Lets the writer hand the
// line to writev() instead of copying it.
void encode_accepted_head(uint64_t seq, int64_t accepted_ms, const BatchCount* batches, size_t nbatches,
                          std::string_view line, std::string& out);
// Appends one Done record holding ranges [0, n).
void encode_done(const DoneRange* ranges, size_t n, std::string& out);

enum class ReadStatus : uint8_t {
  Ok,       // out holds the next record; pos advanced past it
  End,      // pos is exactly at the end of data
  Torn,     // an incomplete record at the end (crash mid-write)
  Corrupt,  // bad length or CRC mismatch
};
struct RecordView {
  RecordType type = RecordType::Accepted;
  std::string_view payload;  // body without the type byte
};
ReadStatus next_record(std::string_view data, size_t& pos, RecordView& out);

// Payload decoders: false on malformed input (never reads out of bounds).
bool decode_accepted(std::string_view payload, AcceptedRecord& out);
bool decode_done(std::string_view payload, std::vector<DoneRange>& out);

}  // namespace pushgw::spool
