// Collects "file:line: key: problem" errors and warnings while a config is
// parsed, so one run reports every problem instead of stopping at the first.
// Internal to the config module.
#pragma once
#include <string>
#include <string_view>
#include <vector>

namespace pushgw::config::detail {

class Diagnostics {
 public:
  explicit Diagnostics(std::string file) : file_(std::move(file)) {}

  void error(int line, std::string_view key, std::string_view problem);
  void warning(int line, std::string_view key, std::string_view problem);

  bool has_errors() const { return !errors_.empty(); }
  const std::string& file() const { return file_; }
  // All errors in file order, one per line (no trailing newline).
  std::string joined_errors() const;
  // Warnings in file order.
  std::vector<std::string> take_warnings();

 private:
  // A pathological file could yield one error per line; past this many the
  // rest add nothing a human would read.
  static constexpr size_t kMaxErrors = 50;
  std::string format(int line, std::string_view key, std::string_view problem) const;

  struct Entry {
    int line;
    std::string text;
  };
  // Sections are visited in key order, not file order; sort when reporting.
  static std::vector<Entry> sorted(std::vector<Entry> v);

  std::string file_;
  std::vector<Entry> errors_;
  std::vector<Entry> warnings_;
  size_t dropped_ = 0;
};

}  // namespace pushgw::config::detail
