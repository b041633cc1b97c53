#include "metrics/exposition.h"

#include <cassert>
#include <charconv>
#include <cmath>

#include "base/utf8.h"

namespace pushgw::metrics {
namespace {

bool name_char(char c, bool first, bool colon_ok) {
  if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_') return true;
  if (c == ':') return colon_ok;
  return !first && c >= '0' && c <= '9';
}

bool valid_name(std::string_view name, bool colon_ok) {
  if (name.empty()) return false;
  for (std::size_t i = 0; i < name.size(); ++i) {
    if (!name_char(name[i], i == 0, colon_ok)) return false;
  }
  return true;
}

}  // namespace

bool valid_metric_name(std::string_view name) { return valid_name(name, true); }

bool valid_label_name(std::string_view name) {
  return valid_name(name, false) && name.substr(0, 2) != "__";
}

void append_escaped_label_value(std::string& out, std::string_view v) {
  for (char c : v) {
    switch (c) {
      case '\\': out += "\\\\"; break;
      case '"': out += "\\\""; break;
      case '\n': out += "\\n"; break;
      default: out += c;
    }
  }
}

void append_escaped_help(std::string& out, std::string_view v) {
  for (char c : v) {
    switch (c) {
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      default: out += c;
    }
  }
}

std::string sanitize_label_value(std::string_view v) {
  std::string out;
  out.reserve(std::min(v.size(), kMaxLabelValueBytes));
  std::size_t i = 0;
  while (i < v.size()) {
    const std::size_t len = base::utf8_sequence(v, i);
    const std::size_t take = len == 0 ? 1 : len;
    if (out.size() + take > kMaxLabelValueBytes) break;
    if (len == 0) {
      out += '?';
    } else {
      out.append(v.substr(i, len));
    }
    i += take;
  }
  return out;
}

bool label_value_ok(std::string_view v) {
  if (v.size() > kMaxLabelValueBytes) return false;
  std::size_t i = 0;
  while (i < v.size()) {
    const std::size_t len = base::utf8_sequence(v, i);
    if (len == 0) return false;
    i += len;
  }
  return true;
}

std::string render_label_pairs(std::span<const std::string> names, std::span<const std::string> values) {
  assert(names.size() == values.size());
  std::string out;
  for (std::size_t i = 0; i < names.size() && i < values.size(); ++i) {
    if (i > 0) out += ',';
    out += names[i];
    out += "=\"";
    append_escaped_label_value(out, values[i]);
    out += '"';
  }
  return out;
}

void append_uint(std::string& out, uint64_t v) {
  char buf[24];
  auto r = std::to_chars(buf, buf + sizeof buf, v);
  out.append(buf, r.ptr);
}

void append_double(std::string& out, double v) {
  if (std::isnan(v)) {
    out += "NaN";
    return;
  }
  if (std::isinf(v)) {
    out += v > 0 ? "+Inf" : "-Inf";
    return;
  }
  constexpr double kExact = 9007199254740992.0;  // 2^53: every integer below is exact
  if (v == std::trunc(v) && std::fabs(v) < kExact) {
    char buf[24];
    auto r = std::to_chars(buf, buf + sizeof buf, static_cast<int64_t>(v));
    out.append(buf, r.ptr);
    return;
  }
  char buf[32];
  auto r = std::to_chars(buf, buf + sizeof buf, v, std::chars_format::general);
  out.append(buf, r.ptr);
}

}  // namespace pushgw::metrics
