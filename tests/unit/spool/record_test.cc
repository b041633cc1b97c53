#include "spool/record.h"

#include <gtest/gtest.h>

#include "spool/crc32c.h"

namespace pushgw::spool {
namespace {

TEST(Crc32c, KnownVectors) {
  EXPECT_EQ(crc32c("", 0), 0u);
  EXPECT_EQ(crc32c("123456789", 9), 0xE3069283u);  // the standard check value
  std::string zeros(32, '\0');
  EXPECT_EQ(crc32c(zeros.data(), zeros.size()), 0x8A9136AAu);  // RFC 3720 B.4
  // extend() over pieces equals one pass.
  std::string s = "the quick brown fox jumps over the lazy dog, twice over";
  uint32_t c = crc32c_extend(0, s.data(), 7);
  c = crc32c_extend(c, s.data() + 7, s.size() - 7);
  EXPECT_EQ(c, crc32c(s.data(), s.size()));
}

TEST(Record, AcceptedRoundTrip) {
  std::string buf;
  BatchCount b[] = {{0, 3}, {2, 1000}};
  encode_accepted(42, 1'700'000'000'123, b, 2, R"({"op":"send"})", buf);
  size_t pos = 0;
  RecordView v;
  ASSERT_EQ(next_record(buf, pos, v), ReadStatus::Ok);
  EXPECT_EQ(pos, buf.size());
  ASSERT_EQ(v.type, RecordType::Accepted);
  AcceptedRecord a;
  ASSERT_TRUE(decode_accepted(v.payload, a));
  EXPECT_EQ(a.seq, 42u);
  EXPECT_EQ(a.accepted_ms, 1'700'000'000'123);
  ASSERT_EQ(a.batches.size(), 2u);
  EXPECT_EQ(a.batches[1].n, 2u);
  EXPECT_EQ(a.batches[1].count, 1000u);
  EXPECT_EQ(a.line, R"({"op":"send"})");
  EXPECT_EQ(next_record(buf, pos, v), ReadStatus::End);
}

TEST(Record, DoneRoundTrip) {
  std::string buf;
  DoneRange r[] = {{7, 0, 0, 256}, {8, 3, 10, 1}};
  encode_done(r, 2, buf);
  size_t pos = 0;
  RecordView v;
  ASSERT_EQ(next_record(buf, pos, v), ReadStatus::Ok);
  ASSERT_EQ(v.type, RecordType::Done);
  std::vector<DoneRange> out;
  ASSERT_TRUE(decode_done(v.payload, out));
  ASSERT_EQ(out.size(), 2u);
  EXPECT_EQ(out[0].count, 256u);
  EXPECT_EQ(out[1].seq, 8u);
  EXPECT_EQ(out[1].n, 3u);
  EXPECT_EQ(out[1].first, 10u);
}

TEST(Record, EveryTruncationIsTornNeverOk) {
  std::string buf;
  BatchCount b[] = {{0, 1}};
  encode_accepted(1, 2, b, 1, "line", buf);
  for (size_t cut = 1; cut < buf.size(); ++cut) {
    size_t pos = 0;
    RecordView v;
    EXPECT_EQ(next_record(std::string_view(buf).substr(0, cut), pos, v), ReadStatus::Torn) << cut;
    EXPECT_EQ(pos, 0u);
  }
}

TEST(Record, AnyFlippedBitIsCorrupt) {
  std::string buf;
  DoneRange r[] = {{1, 2, 3, 4}};
  encode_done(r, 1, buf);
  for (size_t i = 0; i < buf.size() * 8; ++i) {
    std::string bad = buf;
    bad[i / 8] = static_cast<char>(bad[i / 8] ^ (1 << (i % 8)));
    size_t pos = 0;
    RecordView v;
    ReadStatus st = next_record(bad, pos, v);
    EXPECT_NE(st, ReadStatus::Ok) << "bit " << i;
  }
}

TEST(Record, DecodersRejectShortOrOverlongPayloads) {
  AcceptedRecord a;
  EXPECT_FALSE(decode_accepted("", a));
  EXPECT_FALSE(decode_accepted(std::string(19, '\0'), a));
  std::string big(16, '\0');
  big += std::string("\xff\xff\xff\xff", 4);  // k = 4G batches in 0 bytes
  EXPECT_FALSE(decode_accepted(big, a));
  std::vector<DoneRange> d;
  EXPECT_FALSE(decode_done(std::string("\x02\0\0\0", 4), d));
  EXPECT_TRUE(d.empty());
}

TEST(Record, SegmentHeader) {
  std::string h;
  encode_segment_header(99, h);
  EXPECT_EQ(h.size(), kSegmentHeaderBytes);
  uint64_t seq = 0;
  ASSERT_TRUE(decode_segment_header(h, seq));
  EXPECT_EQ(seq, 99u);
  EXPECT_FALSE(decode_segment_header("PGWSPL0", seq));
  EXPECT_FALSE(decode_segment_header(std::string(16, 'x'), seq));
}

}  // namespace
}  // namespace pushgw::spool
