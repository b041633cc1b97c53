#include "config/section.h"

#include <algorithm>
#include <cstdio>
#include <limits>

#include "config/load_context.h"
#include "config/section_source.h"

namespace pushgw::config {

namespace detail {

std::string_view type_name(const toml::node& n) {
  switch (n.type()) {
    case toml::node_type::table:
      return "table";
    case toml::node_type::array:
      return "array";
    case toml::node_type::string:
      return "string";
    case toml::node_type::integer:
      return "integer";
    case toml::node_type::floating_point:
      return "float";
    case toml::node_type::boolean:
      return "boolean";
    case toml::node_type::date:
      return "date";
    case toml::node_type::time:
      return "time";
    case toml::node_type::date_time:
      return "date-time";
    case toml::node_type::none:
      break;
  }
  return "nothing";
}

int line_of(const toml::node& n, int fallback) {
  const auto line = n.source().begin.line;
  // Implicitly created tables (e.g. [a] created by [a.b]) carry no position.
  if (line == 0 || line > static_cast<toml::source_index>(std::numeric_limits<int>::max())) return fallback;
  return static_cast<int>(line);
}

namespace {

std::string path_of(const SectionSource& s, std::string_view key) {
  std::string p = s.path;
  if (!p.empty()) p += '.';
  p += key;
  return p;
}

}  // namespace

void reject_unknown_keys(SectionSource& s) {
  for (auto&& [k, v] : s.table) {
    if (std::find(s.known.begin(), s.known.end(), k.str()) != s.known.end()) continue;
    const int line = k.source().begin.line > 0 ? static_cast<int>(k.source().begin.line) : line_of(v, s.line);
    const toml::array* arr = v.as_array();
    const bool section = v.is_table() || (arr && !arr->empty() && arr->is_array_of_tables());
    s.ctx.diag.error(line, path_of(s, k.str()), section ? "unknown section" : "unknown key");
  }
}

}  // namespace detail

namespace {

// Marks the key as known (asked for), present or not.
const toml::node* find(detail::SectionSource& s, std::string_view key) {
  s.known.emplace_back(key);
  return s.table.get(key);
}

void wrong_type(Section& s, std::string_view key, const toml::node& n, std::string_view expected) {
  std::string msg = "expected ";
  msg += expected;
  msg += ", got ";
  msg += detail::type_name(n);
  s.error(key, msg);
}

}  // namespace

const std::string& Section::name() const { return src_.path; }
int Section::line() const { return src_.line; }

bool Section::get(std::string_view key, std::string& out) {
  const toml::node* n = find(src_, key);
  if (!n) return false;
  const auto* s = n->as_string();
  if (!s) {
    wrong_type(*this, key, *n, "string");
    return false;
  }
  out = s->get();
  return true;
}

bool Section::get(std::string_view key, bool& out) {
  const toml::node* n = find(src_, key);
  if (!n) return false;
  const auto* b = n->as_boolean();
  if (!b) {
    wrong_type(*this, key, *n, "boolean");
    return false;
  }
  out = b->get();
  return true;
}

bool Section::get_int(std::string_view key, int64_t& out, int64_t min, int64_t max) {
  const toml::node* n = find(src_, key);
  if (!n) return false;
  const auto* i = n->as_integer();
  if (!i) {
    wrong_type(*this, key, *n, "integer");
    return false;
  }
  const int64_t v = i->get();
  if (v < min || v > max) {
    error(key, "must be between " + std::to_string(min) + " and " + std::to_string(max) + ", got " + std::to_string(v));
    return false;
  }
  out = v;
  return true;
}

bool Section::get_number(std::string_view key, double& out, double min, double max) {
  const toml::node* n = find(src_, key);
  if (!n) return false;
  double v = 0;
  if (const auto* f = n->as_floating_point()) {
    v = f->get();
  } else if (const auto* i = n->as_integer()) {
    v = static_cast<double>(i->get());
  } else {
    wrong_type(*this, key, *n, "number");
    return false;
  }
  if (!(v >= min && v <= max)) {  // NaN fails too
    auto num = [](double d) {
      char buf[32];
      std::snprintf(buf, sizeof buf, "%g", d);
      return std::string(buf);
    };
    error(key, "must be between " + num(min) + " and " + num(max) + ", got " + num(v));
    return false;
  }
  out = v;
  return true;
}

bool Section::get_id_list(std::string_view key, std::vector<uint32_t>& out) {
  const toml::node* n = find(src_, key);
  if (!n) return false;
  const auto* arr = n->as_array();
  if (!arr) {
    wrong_type(*this, key, *n, "array of integers");
    return false;
  }
  std::vector<uint32_t> ids;
  bool ok = true;
  for (size_t idx = 0; idx < arr->size(); ++idx) {
    const toml::node& el = *arr->get(idx);
    const std::string el_path = detail::path_of(src_, key) + "[" + std::to_string(idx) + "]";
    const auto* i = el.as_integer();
    // (uid_t)-1 means "no change" to chown() and friends; it is never a real id.
    if (!i || i->get() < 0 || i->get() >= int64_t{0xFFFFFFFF}) {
      const std::string problem =
          i ? "must be between 0 and 4294967294" : "expected integer, got " + std::string(detail::type_name(el));
      src_.ctx.diag.error(detail::line_of(el, line_of(key)), el_path, problem);
      ok = false;
      continue;
    }
    ids.push_back(static_cast<uint32_t>(i->get()));
  }
  if (ok) out = std::move(ids);
  return ok;
}

bool Section::require(std::string_view key, std::string& out) {
  const bool present = src_.table.get(key) != nullptr;
  if (!get(key, out)) {
    if (!present) src_.ctx.diag.error(src_.line, detail::path_of(src_, key), "missing required key");
    return false;
  }
  if (out.empty()) {
    error(key, "must not be empty");
    return false;
  }
  return true;
}

bool Section::get_path(std::string_view key, std::string& out) {
  if (!get(key, out)) return false;
  out = resolve(out);
  return true;
}

std::string Section::resolve(const std::string& path) const { return detail::resolve_path(src_.ctx.base_dir, path); }

int Section::line_of(std::string_view key) const {
  const toml::node* n = src_.table.get(key);
  return n ? detail::line_of(*n, src_.line) : src_.line;
}

void Section::error(std::string_view key, std::string_view problem) {
  src_.ctx.diag.error(line_of(key), detail::path_of(src_, key), problem);
}

void Section::warning(std::string_view key, std::string_view problem) {
  src_.ctx.diag.warning(line_of(key), detail::path_of(src_, key), problem);
}

bool Section::read_files() const { return src_.ctx.read_credentials; }

}  // namespace pushgw::config
