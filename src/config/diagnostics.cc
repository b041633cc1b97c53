#include "config/diagnostics.h"

#include <algorithm>

namespace pushgw::config::detail {

namespace {

// Quoted TOML keys and parser messages may hold any byte; keep one message
// per line and no terminal escapes.
void append_printable(std::string& out, std::string_view text) {
  for (char c : text) out += (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) ? '?' : c;
}

}  // namespace

std::string Diagnostics::format(int line, std::string_view key, std::string_view problem) const {
  std::string out = file_;
  if (line > 0) {
    out += ':';
    out += std::to_string(line);
  }
  out += ": ";
  append_printable(out, key);
  out += ": ";
  append_printable(out, problem);
  return out;
}

void Diagnostics::error(int line, std::string_view key, std::string_view problem) {
  if (errors_.size() >= kMaxErrors) {
    ++dropped_;
    return;
  }
  errors_.push_back({line, format(line, key, problem)});
}

void Diagnostics::warning(int line, std::string_view key, std::string_view problem) {
  warnings_.push_back({line, format(line, key, problem)});
}

std::vector<Diagnostics::Entry> Diagnostics::sorted(std::vector<Entry> v) {
  std::stable_sort(v.begin(), v.end(), [](const Entry& a, const Entry& b) { return a.line < b.line; });
  return v;
}

std::vector<std::string> Diagnostics::take_warnings() {
  std::vector<std::string> out;
  for (auto& w : sorted(std::move(warnings_))) out.push_back(std::move(w.text));
  warnings_.clear();
  return out;
}

std::string Diagnostics::joined_errors() const {
  std::string out;
  for (const auto& e : sorted(errors_)) {
    if (!out.empty()) out += '\n';
    out += e.text;
  }
  if (dropped_ > 0) out += "\n" + file_ + ": (" + std::to_string(dropped_) + " more errors not shown)";
  return out;
}

}  // namespace pushgw::config::detail
