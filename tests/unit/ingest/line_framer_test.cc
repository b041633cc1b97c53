#include "ingest/line_framer.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace pushgw::ingest {
namespace {

struct Sink {
  std::vector<std::string> lines;
  int too_long = 0;
  // "!" marks where a too-long report fell in the stream.
  std::vector<std::string> events;
  void feed(LineFramer& f, std::string_view data) {
    size_t used = f.feed(
        data.data(), data.size(),
        [&](std::string_view l) {
          lines.emplace_back(l);
          events.emplace_back(l);
        },
        [&] {
          ++too_long;
          events.emplace_back("!");
        });
    EXPECT_EQ(used, data.size());
  }
};

TEST(LineFramer, ManyLinesPerRead) {
  LineFramer f(100);
  Sink s;
  s.feed(f, "a\nbb\nccc\n");
  EXPECT_EQ(s.lines, (std::vector<std::string>{"a", "bb", "ccc"}));
  EXPECT_EQ(f.buffered(), 0u);
}

TEST(LineFramer, SplitByteByByte) {
  const std::string input = "{\"op\":\"stats\",\"id\":\"1\"}\n{\"op\":\"send\"}\r\n\n\r\nlast";
  LineFramer f(100);
  Sink s;
  for (char c : input) s.feed(f, std::string_view(&c, 1));
  EXPECT_EQ(s.lines, (std::vector<std::string>{"{\"op\":\"stats\",\"id\":\"1\"}", "{\"op\":\"send\"}"}));
  EXPECT_EQ(f.buffered(), 4u);
  f.flush([&](std::string_view l) { s.lines.emplace_back(l); });
  EXPECT_EQ(s.lines.back(), "last");
  EXPECT_EQ(f.buffered(), 0u);
}

TEST(LineFramer, CrlfStrippedAndEmptyLinesSkipped) {
  LineFramer f(100);
  Sink s;
  s.feed(f, "x\r\n\r\n\n y \r\n");
  EXPECT_EQ(s.lines, (std::vector<std::string>{"x", " y "}));
}

TEST(LineFramer, OversizeLineThenGoodLineSameRead) {
  LineFramer f(8);
  Sink s;
  s.feed(f, "12345678\n123456789\nok\n");
  EXPECT_EQ(s.events, (std::vector<std::string>{"12345678", "!", "ok"}));
}

TEST(LineFramer, OversizeLineAcrossReadsReportedOnce) {
  LineFramer f(8);
  Sink s;
  s.feed(f, "abc");
  s.feed(f, "defgh");  // 8 bytes: still fine
  EXPECT_EQ(s.too_long, 0);
  s.feed(f, "i");  // 9: too long, reported now
  EXPECT_EQ(s.too_long, 1);
  EXPECT_EQ(f.buffered(), 0u);
  s.feed(f, std::string(100, 'z'));  // still the same line: skipped silently
  s.feed(f, "zz\ngood");
  EXPECT_EQ(s.too_long, 1);
  s.feed(f, "\n");
  EXPECT_EQ(s.events, (std::vector<std::string>{"!", "good"}));
}

TEST(LineFramer, TwoOversizeLinesInOneRead) {
  LineFramer f(3);
  Sink s;
  s.feed(f, "aaaa\nbbbb\ncc\n");
  EXPECT_EQ(s.events, (std::vector<std::string>{"!", "!", "cc"}));
}

TEST(LineFramer, FlushAfterOversizeDropsTail) {
  LineFramer f(3);
  Sink s;
  s.feed(f, "aaaaaa");
  f.flush([&](std::string_view l) { s.lines.emplace_back(l); });
  EXPECT_TRUE(s.lines.empty());
  s.feed(f, "ok\n");  // a new line after flush starts clean
  EXPECT_EQ(s.lines, (std::vector<std::string>{"ok"}));
}

TEST(LineFramer, StopsWhenOnLineReturnsFalse) {
  LineFramer f(100);
  std::vector<std::string> got;
  std::string data = "a\nb\nc\n";
  size_t used = f.feed(
      data.data(), data.size(),
      [&](std::string_view l) {
        got.emplace_back(l);
        return got.size() < 2;  // stop after the second line
      },
      [] {});
  EXPECT_EQ(used, 4u);
  EXPECT_EQ(got, (std::vector<std::string>{"a", "b"}));
  used = f.feed(data.data() + used, data.size() - used, [&](std::string_view l) { got.emplace_back(l); return true; },
                [] {});
  EXPECT_EQ(got.back(), "c");
}

TEST(LineFramer, StopInsideAssembledLineKeepsRest) {
  LineFramer f(100);
  std::vector<std::string> got;
  auto on = [&](std::string_view l) {
    got.emplace_back(l);
    return false;
  };
  EXPECT_EQ(f.feed("ab", 2, on, [] {}), 2u);
  EXPECT_EQ(f.feed("c\nd\n", 4, on, [] {}), 2u);
  EXPECT_EQ(got, (std::vector<std::string>{"abc"}));
  EXPECT_EQ(f.feed("d\n", 2, on, [] {}), 2u);
  EXPECT_EQ(got.back(), "d");
}

}  // namespace
}  // namespace pushgw::ingest
