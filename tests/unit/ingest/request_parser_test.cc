#include "ingest/request_parser.h"

#include <gtest/gtest.h>

#include "ingest/timefmt.h"

namespace pushgw::ingest {
namespace {

TEST(RequestParser, OpAndId) {
  RequestParser p;
  ASSERT_TRUE(p.parse(R"({"op":"stats","id":"b-17"})").ok());
  EXPECT_EQ(p.op(), "stats");
  EXPECT_EQ(p.id_json(), R"("b-17")");
  ASSERT_TRUE(p.parse(R"({"op":"send"})").ok());
  EXPECT_EQ(p.id_json(), "null");
  ASSERT_TRUE(p.parse(R"({"id":"q\"\\\n\u0001é"})").ok());
  EXPECT_EQ(p.op(), "");
  EXPECT_EQ(p.id_json(), "\"q\\\"\\\\\\n\\u0001\xc3\xa9\"");
  ASSERT_TRUE(p.parse(R"({"id":7})").ok());
  EXPECT_EQ(p.id_json(), "7");
}

TEST(RequestParser, Errors) {
  RequestParser p;
  auto r = p.parse("{\"op\":");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, "parse_error");
  EXPECT_EQ(p.id_json(), "null");
  r = p.parse("[1,2]");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, "bad_request");
  r = p.parse(R"({"id":"x","op":5})");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, "bad_request");
  EXPECT_EQ(p.id_json(), R"("x")");
  r = p.parse("{\"id\":\"\xff\"}");  // invalid UTF-8
  EXPECT_EQ(r.error().code, "parse_error");
  // Usable again after errors, with longer input (buffer growth).
  std::string big = R"({"op":"send","pad":")" + std::string(100000, 'x') + "\"}";
  ASSERT_TRUE(p.parse(big).ok());
  EXPECT_EQ(p.op(), "send");
  // A huge line, then small ones again (buffers are released and regrown).
  std::string huge = R"({"op":"huge","pad":")" + std::string(5u << 20, 'y') + "\"}";
  ASSERT_TRUE(p.parse(huge).ok());
  EXPECT_EQ(p.op(), "huge");
  ASSERT_TRUE(p.parse(R"({"op":"small","id":"s"})").ok());
  EXPECT_EQ(p.op(), "small");
  EXPECT_EQ(p.id_json(), R"("s")");
}

TEST(TimeFormat, Rfc3339) {
  EXPECT_EQ(parse_rfc3339_ms("1970-01-01T00:00:00Z"), 0);
  EXPECT_EQ(parse_rfc3339_ms("2026-11-22T10:00:00Z"), int64_t{1795341600} * 1000);
  EXPECT_EQ(parse_rfc3339_ms("2026-11-22T19:00:00.250+09:00"), int64_t{1795341600} * 1000 + 250);
  EXPECT_EQ(parse_rfc3339_ms("2026-11-22t09:30:00-00:30"), int64_t{1795341600} * 1000);
  EXPECT_EQ(parse_rfc3339_ms("2024-02-29 00:00:00Z"), int64_t{1709164800} * 1000);
  for (const char* bad : {"", "2026-11-22", "2026-11-22T10:00:00", "2023-02-29T00:00:00Z", "2026-13-01T00:00:00Z",
                          "2026-11-22T24:00:00Z", "2026-11-22T10:00:00.Z", "2026-11-22T10:00:00+0900",
                          "2026-11-22T10:00:00Zx", "x026-11-22T10:00:00Z"})
    EXPECT_FALSE(parse_rfc3339_ms(bad).has_value()) << bad;
}

}  // namespace
}  // namespace pushgw::ingest
