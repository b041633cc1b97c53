#include "base/json_escape.h"

#include <gtest/gtest.h>
#include <simdjson.h>

namespace pushgw::base {
namespace {

// What a real JSON parser reads back from {"k":<quoted s>}.
std::string parsed_back(const std::string& quoted) {
  simdjson::dom::parser parser;
  std::string doc = "{\"k\":" + quoted + "}";
  std::string_view v;
  EXPECT_EQ(parser.parse(doc).at_key("k").get(v), simdjson::SUCCESS) << doc;
  return std::string(v);
}

TEST(JsonEscape, QuotesBackslashControlAndUnicode) {
  std::string out;
  std::string in = std::string("a\"b\\c\n\r\t\b\f") + '\x01' + '\x1f' + "\x7f" + "\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80";
  json_escape_append(in, out);
  EXPECT_EQ(out, "a\\\"b\\\\c\\n\\r\\t\\b\\f\\u0001\\u001f\x7f\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80");
  EXPECT_EQ(json_escaped_size(in), out.size());
  std::string nul;
  json_escape_append(std::string_view("\0x", 2), nul);
  EXPECT_EQ(nul, "\\u0000x");
}

// The escaper skips 8 clean bytes at a time: every byte value, at every
// position of a word and of the tail, in long clean text, is escaped
// exactly as one byte at a time would.
TEST(JsonEscape, EveryByteAtEveryOffsetMatchesTheBytewiseEscape) {
  auto bytewise = [](std::string_view in, bool high) {
    std::string out;
    for (unsigned char c : in) {
      if (c == '"' || c == '\\' || c < 0x20 || (high && c >= 0x80)) {
        json_escape_append(std::string_view(reinterpret_cast<const char*>(&c), 1), out, high);
      } else {
        out.push_back(static_cast<char>(c));
      }
    }
    return out;
  };
  for (bool high : {false, true}) {
    for (int c = 0; c < 256; ++c) {
      for (size_t at = 0; at < 27; ++at) {
        std::string in(27, 'k');
        in[at] = static_cast<char>(c);
        std::string out;
        json_escape_append(in, out, high);
        ASSERT_EQ(out, bytewise(in, high)) << "byte " << c << " at " << at << " high " << high;
      }
    }
  }
  std::string two = std::string(16, 'a') + "\"" + std::string(7, 'b') + "\n" + std::string(9, 'c');
  std::string out;
  json_escape_append(two, out);
  EXPECT_EQ(out, std::string(16, 'a') + "\\\"" + std::string(7, 'b') + "\\n" + std::string(9, 'c'));
}

TEST(JsonEscape, QuotedTextParsesBackToTheInput) {
  std::string nasty = std::string("x\"}\\,{\"alg\":\"none\0y\x1f\xc3\xa9", 22);
  std::string q;
  json_append_quoted(q, nasty);
  EXPECT_EQ(parsed_back(q), nasty);
}

TEST(JsonEscape, HighBytesAsLatin1KeepOutputValidForBinary) {
  std::string q;
  json_append_quoted(q, "\xff\xfe" "a", /*escape_high_bytes=*/true);
  EXPECT_EQ(q, R"("\u00ff\u00fea")");
  EXPECT_EQ(parsed_back(q), "\xc3\xbf\xc3\xbe" "a");  // U+00FF U+00FE in UTF-8
}

}  // namespace
}  // namespace pushgw::base
