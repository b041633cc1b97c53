#include "table.h"

#include <algorithm>

namespace pushgw::ctl {

size_t display_width(std::string_view utf8) {
  size_t n = 0;
  for (char c : utf8) {
    if ((static_cast<unsigned char>(c) & 0xC0) != 0x80) ++n;
  }
  return n;
}

std::string sanitize(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size(); ++i) {
    const auto u = static_cast<unsigned char>(text[i]);
    const auto next = i + 1 < text.size() ? static_cast<unsigned char>(text[i + 1]) : 0;
    if (u == '\t') {
      out += ' ';
    } else if (u < 0x20 || u == 0x7f) {
      out += '?';
    } else if (u == 0xC2 && next >= 0x80 && next <= 0x9F) {
      out += '?';  // C1 controls (U+0080..U+009F) include the 8-bit CSI
      ++i;
    } else {
      out += text[i];
    }
  }
  return out;
}

std::string truncate(std::string_view text, size_t max) {
  if (display_width(text) <= max) return std::string(text);
  size_t points = 0;
  size_t i = 0;
  for (; i < text.size(); ++i) {
    if ((static_cast<unsigned char>(text[i]) & 0xC0) != 0x80) {
      if (points == max) break;
      ++points;
    }
  }
  return std::string(text.substr(0, i)) + "\u2026";
}

void Table::add_row(std::vector<std::string> cells) {
  cells.resize(columns_.size());
  for (auto& c : cells) c = sanitize(c);
  rows_.push_back(std::move(cells));
}

std::string Table::render(bool with_header) const {
  std::vector<size_t> width(columns_.size());
  for (size_t c = 0; c < columns_.size(); ++c) {
    width[c] = std::max(columns_[c].min_width, with_header ? display_width(columns_[c].header) : 0);
    for (const auto& row : rows_) width[c] = std::max(width[c], display_width(row[c]));
  }
  std::string out;
  auto emit = [&](const std::vector<std::string>& cells) {
    std::string line;
    for (size_t c = 0; c < cells.size(); ++c) {
      const size_t pad = width[c] - display_width(cells[c]);
      if (c > 0) line += "  ";
      if (columns_[c].align == Align::Right) line.append(pad, ' ');
      line += cells[c];
      if (columns_[c].align == Align::Left) line.append(pad, ' ');
    }
    while (!line.empty() && line.back() == ' ') line.pop_back();
    out += line;
    out += '\n';
  };
  if (with_header) {
    std::vector<std::string> headers;
    for (const auto& col : columns_) headers.push_back(col.header);
    emit(headers);
  }
  for (const auto& row : rows_) emit(row);
  return out;
}

}  // namespace pushgw::ctl
