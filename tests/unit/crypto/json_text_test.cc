#include "crypto/json_text.h"

#include <gtest/gtest.h>

#include "test_util.h"

namespace pushgw::crypto {
namespace {

std::string as_json(std::string_view s) {
  std::string out;
  json_append_string(out, s);
  return out;
}

TEST(JsonText, EscapesQuotesBackslashesAndControls) {
  EXPECT_EQ(as_json("plain"), R"("plain")");
  EXPECT_EQ(as_json("a\"b\\c"), R"("a\"b\\c")");
  EXPECT_EQ(as_json(std::string("\n\r\t\x01\x1f", 5)), R"("\n\r\t\u0001\u001f")");
  EXPECT_EQ(as_json("é"), "\"é\"");
  // Whatever goes in comes back out of a real JSON parser.
  std::string nasty = std::string("x\"}\\,{\"alg\":\"none\0y", 19);
  test::Json j("{\"k\":" + as_json(nasty) + "}");
  EXPECT_EQ(j.str("k"), nasty);
}

TEST(JsonText, ReadsTopLevelString) {
  EXPECT_EQ(json_top_level_string(R"({"alg":"ES256","kid":"K"})", "alg"), "ES256");
  EXPECT_EQ(json_top_level_string(R"( { "x" : {"alg":"none"} , "alg" : "RS256" } )", "alg"),
            "RS256");
  EXPECT_EQ(json_top_level_string(R"({"a":[1,{"b":"}"}],"alg":"E\"S"})", "alg"), "E\"S");
}

TEST(JsonText, RefusesAmbiguousOrMalformedInput) {
  EXPECT_FALSE(json_top_level_string(R"({"x":{"alg":"ES256"}})", "alg"));         // nested only
  EXPECT_FALSE(json_top_level_string(R"({"alg":"ES256","alg":"none"})", "alg"));  // duplicate
  EXPECT_FALSE(json_top_level_string(R"({"alg":"ES256","\u0061lg":"none"})", "alg"));
  EXPECT_FALSE(json_top_level_string(R"({"alg":"\u0045S256"})", "alg"));
  EXPECT_FALSE(json_top_level_string(R"({"alg":null})", "alg"));
  EXPECT_FALSE(json_top_level_string(R"({"alg":"ES256"} trailing)", "alg"));
  EXPECT_FALSE(json_top_level_string(R"({"alg":"ES256")", "alg"));
  EXPECT_FALSE(json_top_level_string(R"(["alg","ES256"])", "alg"));
  EXPECT_FALSE(json_top_level_string("", "alg"));
  EXPECT_FALSE(json_top_level_string(std::string(10000, '['), "alg"));
  std::string deep =
      R"({"x":)" + std::string(200, '[') + std::string(200, ']') + R"(,"alg":"ES256"})";
  EXPECT_FALSE(json_top_level_string(deep, "alg"));  // nesting limit
}

}  // namespace
}  // namespace pushgw::crypto
