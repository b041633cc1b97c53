// Plain-text column formatting for pushgwctl's human output.
#pragma once
#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace pushgw::ctl {

enum class Align { Left, Right };

struct Column {
  std::string header;
  Align align = Align::Left;
  size_t min_width = 0;  // keeps successive tables (feedback --follow) aligned
};

// Columns are separated by two spaces; lines carry no trailing spaces. Widths
// count UTF-8 code points, so "…" is one column. Cells are sanitized: control
// characters from the daemon never reach the terminal.
class Table {
 public:
  explicit Table(std::vector<Column> columns) : columns_(std::move(columns)) {}
  // Missing cells are empty; extra cells are dropped.
  void add_row(std::vector<std::string> cells);
  size_t rows() const { return rows_.size(); }
  std::string render(bool with_header = true) const;

 private:
  std::vector<Column> columns_;
  std::vector<std::vector<std::string>> rows_;
};

// Number of UTF-8 code points (continuation bytes are not counted).
size_t display_width(std::string_view utf8);
// Replaces control characters (and DEL) with '?'; tabs become a space.
std::string sanitize(std::string_view text);
// Device tokens and endpoints are long: the first max code points, then "…".
std::string truncate(std::string_view text, size_t max = 16);

}  // namespace pushgw::ctl
