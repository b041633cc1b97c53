#include "crypto/json_text.h"

#include <gtest/gtest.h>

namespace pushgw::crypto {
namespace {

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
