// Template compilation and rendering (see include/pushgw/template.h).
//
// compile() is total up to the placeholder bounds: anything that does not
// form a well-made placeholder is literal text, so user input can never
// make a notification fail here except by being absurdly large.
// When a template has no placeholder, segs_ stays empty and rendering is one
// append of text_.
#include <algorithm>
#include <cstring>

#include "base/json_escape.h"
#include "pushgw/template.h"

namespace pushgw {

int32_t VarTable::slot(std::string_view name) {
  int32_t s = find(name);
  if (s >= 0) return s;
  if (names_.size() >= kMaxVarNames) return -1;
  const auto slot = static_cast<uint32_t>(names_.size());
  names_.emplace_back(name);
  if (!index_.empty()) {
    index_.emplace(names_.back(), slot);
  } else if (names_.size() > kScanNames) {
    index_.reserve(2 * names_.size());
    for (uint32_t i = 0; i < names_.size(); ++i) index_.emplace(names_[i], i);
  }
  return static_cast<int32_t>(slot);
}

int32_t VarTable::find_indexed(std::string_view name) const {
  auto it = index_.find(name);
  return it == index_.end() ? -1 : static_cast<int32_t>(it->second);
}

namespace {

bool is_name_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
         c == '.' || c == '-';
}

bool is_json_ws(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

// Finds "}}" in [from, end); returns end when absent.
size_t find_close(std::string_view t, size_t from, size_t end) {
  for (size_t i = from; i + 1 < end; ++i)
    if (t[i] == '}' && t[i + 1] == '}') return i;
  return end;
}

struct Builder {
  std::string_view text;
  std::vector<Template::Segment>& segs;
  VarTable& vars;
  size_t lit_start = 0;       // first byte not yet covered by a segment
  uint32_t placeholders = 0;
  bool full = false;          // a bound was passed: stop scanning

  void literal_until(size_t end) {
    if (end <= lit_start) return;
    Template::Segment s;
    s.off = static_cast<uint32_t>(lit_start);
    s.len = static_cast<uint32_t>(end - lit_start);
    segs.push_back(s);
  }

  // Tries to read a placeholder starting at p ("{{"), confined to [p, end).
  // Returns the index just past it, or 0 when there is none at p.
  size_t placeholder(size_t p, size_t end) {
    size_t name_b = p + 2, i = name_b;
    while (i < end && is_name_char(text[i])) ++i;
    if (i == name_b || i + 1 >= end) return 0;
    Template::Segment s;
    size_t after;
    if (text[i] == '}' && text[i + 1] == '}') {
      after = i + 2;
    } else if (text[i] == '|') {
      size_t close = find_close(text, i + 1, end);
      if (close == end) return 0;
      s.has_fallback = true;
      s.off = static_cast<uint32_t>(i + 1);
      s.len = static_cast<uint32_t>(close - (i + 1));
      after = close + 2;
    } else {
      return 0;
    }
    s.slot = ++placeholders > kMaxPlaceholders ? -1 : vars.slot(text.substr(name_b, i - name_b));
    if (s.slot < 0) {
      full = true;
      return 0;
    }
    literal_until(p);
    segs.push_back(s);
    lit_start = after;
    return after;
  }

  // Recognises placeholders in [b, end).
  void scan(size_t b, size_t end) {
    size_t p = b;
    while (p + 1 < end && !full) {
      const void* hit = std::memchr(text.data() + p, '{', end - p - 1);
      if (hit == nullptr) return;
      p = static_cast<size_t>(static_cast<const char*>(hit) - text.data());
      if (text[p + 1] == '{') {
        size_t after = placeholder(p, end);
        if (after != 0) {
          p = after;
          continue;
        }
      }
      ++p;
    }
  }

  // JSON: only string values, never keys (a string followed by ':').
  void scan_json() {
    size_t n = text.size(), i = 0;
    while (i < n && !full) {
      if (text[i] != '"') {
        ++i;
        continue;
      }
      size_t j = i + 1;
      while (j < n && text[j] != '"') j += (text[j] == '\\') ? 2 : 1;
      if (j >= n) return;  // unterminated string: the rest is literal
      size_t k = j + 1;
      while (k < n && is_json_ws(text[k])) ++k;
      bool is_key = k < n && text[k] == ':';
      if (!is_key) scan(i + 1, j);
      i = j + 1;
    }
  }
};

}  // namespace

Result<Template> Template::compile(std::string_view text, Mode mode, VarTable& vars) {
  Template t;
  // With placeholders, the missing rendering is appended to the text later:
  // room for it now saves a reallocation.
  if (text.find("{{") != std::string_view::npos) t.text_.reserve(2 * text.size());
  t.text_.assign(text.data(), text.size());
  t.text_size_ = text.size();
  t.mode_ = mode;
  Builder b{t.text_, t.segs_, vars};
  if (mode == Mode::Raw)
    b.scan(0, t.text_.size());
  else
    b.scan_json();
  if (b.full)
    return make_error("too_many_placeholders", "more than " + std::to_string(kMaxPlaceholders) +
                                                   " placeholders or distinct variable names");
  if (b.segs.empty()) return t;  // no placeholder: render is one append of text_
  b.literal_until(t.text_.size());
  t.has_vars_ = true;
  // The rendering with every value missing goes after the text in the same
  // buffer (one allocation): at most as long as the text.
  const size_t n = t.text_.size();
  t.text_.reserve(2 * n);  // done above; appending from itself must not reallocate
  t.slot_uses_.resize(vars.size());  // every slot of this template is below
  for (const Segment& s : t.segs_) {
    if (s.slot < 0) {
      t.literal_bytes_ += s.len;
      t.text_.append(t.text_.data() + s.off, s.len);
      continue;
    }
    SlotUse& u = t.slot_uses_[static_cast<size_t>(s.slot)];
    ++u.uses;
    if (s.has_fallback) {
      u.fallback_bytes += s.len;
      t.text_.append(t.text_.data() + s.off, s.len);
    }
  }
  t.text_size_ = n;
  return t;
}

namespace {

// The value of slot, or nullptr when missing. Values are sorted by slot and
// unique, so values[i].slot >= i: a recipient that gives every slot is
// found at once, others by binary search below index slot.
const VarValue* lookup(const VarView& v, int32_t slot) {
  if (v.values == nullptr) return nullptr;
  const auto s = static_cast<uint32_t>(slot);
  const VarValue* val = nullptr;
  if (s < v.count && v.values[s].slot == s) {
    val = &v.values[s];
  } else {
    const VarValue* end = v.values + std::min(s, v.count);
    const VarValue* it =
        std::lower_bound(v.values, end, s, [](const VarValue& x, uint32_t want) { return x.slot < want; });
    if (it == end || it->slot != s) return nullptr;
    val = it;
  }
  return val->kind == VarValue::Missing ? nullptr : val;
}

}  // namespace

size_t Template::rendered_size(const VarView& v, size_t limit) const {
  if (segs_.empty()) return text_.size();
  if (v.values == nullptr || v.count == 0) return missing().size();
  // Lower bound that only grows: literals plus the given values' sizes. The
  // fallbacks of the slots given are taken out of missing() at the end.
  size_t given = literal_bytes_, fallbacks_given = 0;
  if (given > limit) return given;  // from here on given <= limit
  for (uint32_t i = 0; i < v.count; ++i) {
    const VarValue& x = v.values[i];
    if (x.kind == VarValue::Missing || x.slot >= slot_uses_.size()) continue;
    const SlotUse& u = slot_uses_[x.slot];
    if (u.uses == 0) continue;
    fallbacks_given += u.fallback_bytes;
    // Escaping never shrinks a value and uses >= 1: a value whose raw bytes
    // alone pass the limit is not scanned at all, so a scan reads at most
    // `limit` bytes.
    if (x.len > limit - given) return given + x.len;
    size_t size = x.len;
    if (x.kind == VarValue::String && mode_ == Mode::Json)
      size = base::json_escaped_size(std::string_view(v.arena + x.off, x.len));
    given += size_t{u.uses} * size;
    if (given > limit) return given;
  }
  return given + (missing().size() - literal_bytes_ - fallbacks_given);
}

void Template::render(const VarView& v, std::string& out) const {
  if (segs_.empty()) {
    out.append(text_);
    return;
  }
  if (v.values == nullptr || v.count == 0) {
    out.append(missing());
    return;
  }
  // Room for the unescaped size (rendered_size without scanning values for
  // escapes): the appends below grow it only when escaping adds bytes.
  size_t need = out.size() + missing().size();
  for (uint32_t i = 0; i < v.count; ++i) {
    const VarValue& x = v.values[i];
    if (x.kind != VarValue::Missing && x.slot < slot_uses_.size())
      need += size_t{slot_uses_[x.slot].uses} * x.len;
  }
  if (need > out.capacity()) out.reserve(need);
  const char* base = text_.data();
  for (const Segment& s : segs_) {
    const VarValue* val = s.slot < 0 ? nullptr : lookup(v, s.slot);
    if (val == nullptr) {
      if (s.slot < 0 || s.has_fallback) out.append(base + s.off, s.len);
    } else if (val->kind == VarValue::String && mode_ == Mode::Json) {
      base::json_escape_append(std::string_view(v.arena + val->off, val->len), out);
    } else {
      out.append(v.arena + val->off, val->len);
    }
  }
}

}  // namespace pushgw
