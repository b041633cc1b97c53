#include "table.h"

#include <gtest/gtest.h>

namespace pushgw::ctl {
namespace {

TEST(Table, AlignsColumnsWithTwoSpacesAndNoTrailingBlanks) {
  Table t({{"N", Align::Right}, {"STATUS"}, {"REASON"}});
  t.add_row({"0", "delivered", ""});
  t.add_row({"12", "unsubscribed", "Unregistered"});
  EXPECT_EQ(t.render(),
            " N  STATUS        REASON\n"
            " 0  delivered\n"
            "12  unsubscribed  Unregistered\n");
  EXPECT_EQ(t.rows(), 2u);
}

TEST(Table, WithoutHeaderAndMinimumWidths) {
  Table t({{"K", Align::Left, 5}, {"V", Align::Right}});
  t.add_row({"a", "1"});
  t.add_row({"bb"});  // missing cells are empty
  EXPECT_EQ(t.render(false), "a      1\nbb\n");
  EXPECT_EQ(t.render(true), "K      V\na      1\nbb\n");
}

TEST(Table, WidthCountsCodePointsNotBytes) {
  Table t({{"TOKEN"}, {"X"}});
  t.add_row({truncate(std::string(64, 'a')), "1"});
  t.add_row({"short", "2"});
  const std::string out = t.render();
  EXPECT_EQ(out,
            "TOKEN              X\n"
            "aaaaaaaaaaaaaaaa\u2026  1\n"
            "short              2\n");
}

TEST(Table, CellsAreSanitized) {
  Table t({{"REASON"}});
  t.add_row({"bad\x1b[31m\nline\t\xc2\x9b"});
  EXPECT_EQ(t.render(false), "bad?[31m?line ?\n");
}

TEST(Truncate, SixteenCodePointsThenEllipsis) {
  EXPECT_EQ(truncate("0123456789abcdef"), "0123456789abcdef");  // exactly 16: untouched
  EXPECT_EQ(truncate("0123456789abcdefX"), "0123456789abcdef\u2026");
  EXPECT_EQ(truncate("\u00e9\u00e9\u00e9", 2), "\u00e9\u00e9\u2026");  // never splits a UTF-8 sequence
  EXPECT_EQ(truncate(""), "");
  EXPECT_EQ(display_width("\u00e9a\u2026"), 3u);
}

}  // namespace
}  // namespace pushgw::ctl
