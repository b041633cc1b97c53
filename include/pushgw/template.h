// Per-recipient personalization: "{{name}}" and "{{name|fallback}}".
//
// A Template is compiled once per notification and rendered once per
// recipient, straight into the outgoing buffer. Compilation assigns each
// distinct variable name a slot (VarTable); a recipient gives values only
// for the slots it names (a sparse, slot-sorted list of VarValue), so a
// notification's memory grows with the vars recipients actually send, never
// with recipients x names.
//
// Substitution is single-pass: a value is never expanded again.
//
// Bounds (untrusted input): a rendered payload is at most ~4-5 KiB, so a
// template has at most kMaxPlaceholders placeholders (hence at most
// 2 * kMaxPlaceholders + 1 segments) and a VarTable at most kMaxVarNames
// names; compile() refuses more. Rendering a recipient walks the segments
// once; its size is computed from per-slot use counts without walking them.
#pragma once
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "pushgw/result.h"

namespace pushgw {

// A rendered payload is at most 5120 bytes (APNs VoIP; 4096 elsewhere): a
// placeholder that renders at least one byte is never useful past that.
inline constexpr uint32_t kMaxPlaceholders = 4096;  // "{{...}}" uses in one template
inline constexpr uint32_t kMaxVarNames = 4096;      // distinct names in one VarTable

// Variable name -> slot. Shared by every template of one notification.
class VarTable {
 public:
  // Returns the slot for name, adding it if new; -1 when the table already
  // holds kMaxVarNames names.
  int32_t slot(std::string_view name);
  // Returns the slot or -1 when the template never references name. Inline:
  // ingest calls it for every var of every recipient.
  int32_t find(std::string_view name) const {
    if (names_.size() > kScanNames) return find_indexed(name);
    for (size_t i = 0; i < names_.size(); ++i)
      if (names_[i] == name) return static_cast<int32_t>(i);
    return -1;
  }
  uint32_t size() const { return static_cast<uint32_t>(names_.size()); }
  const std::string& name(uint32_t slot) const { return names_[slot]; }

 private:
  int32_t find_indexed(std::string_view name) const;
  // Up to this many names a scan beats hashing (the common case: a few
  // names, looked up once per var of every recipient).
  static constexpr size_t kScanNames = 8;
  struct Hash {
    using is_transparent = void;
    size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
  };
  std::vector<std::string> names_;
  std::unordered_map<std::string, uint32_t, Hash, std::equal_to<>> index_;  // filled past kScanNames
};

// One recipient's value for one slot. Bytes live in the owner's arena.
struct VarValue {
  enum Kind : uint8_t { Missing = 0, String = 1, Literal = 2 };  // Literal: number/bool JSON text
  uint8_t kind = Missing;
  uint16_t slot = 0;  // < kMaxVarNames
  uint32_t off = 0;   // into arena
  uint32_t len = 0;
};
static_assert(kMaxVarNames <= 65536, "VarValue::slot is 16 bits");

// A recipient's values: `count` entries sorted by slot, each slot at most
// once; slots not listed (or listed as Missing) are missing.
struct VarView {
  const VarValue* values = nullptr;  // nullptr: the recipient has no vars
  uint32_t count = 0;
  const char* arena = nullptr;
};

class Template {
 public:
  enum class Mode : uint8_t {
    Json,  // text is JSON; placeholders only inside string values (not keys);
           // string values are inserted JSON-escaped (no quotes added)
    Raw,   // text is raw bytes (Web Push string payload); values inserted as is
  };
  struct Segment {
    uint32_t off = 0, len = 0;        // literal bytes in text_ (slot < 0) or fallback bytes
    int32_t slot = -1;                // -1: literal
    bool has_fallback = false;
  };

  // Compiles text. Anything that is not a well-formed "{{name}}" /
  // "{{name|fallback}}" stays literal text. Fails only past the bounds:
  // error "too_many_placeholders" with more than kMaxPlaceholders
  // placeholders, or names beyond kMaxVarNames in vars.
  static Result<Template> compile(std::string_view text, Mode mode, VarTable& vars);

  bool has_vars() const { return has_vars_; }
  std::string_view text() const { return std::string_view(text_).substr(0, text_size_); }

  // Size render() would append for these values: the literal bytes plus,
  // per slot, uses x the value's size (or its fallbacks when missing). Work
  // is linear in the recipient's values, not in the segments. Stops early
  // once the size is known to pass `limit`: the result is then some size
  // above limit (a lower bound), else it is exact.
  size_t rendered_size(const VarView& v, size_t limit = SIZE_MAX) const;
  // rendered_size() of a recipient without values (inline: most recipients).
  size_t rendered_size_without_vars() const { return segs_.empty() ? text_.size() : text_.size() - text_size_; }
  // Appends the rendered text to out.
  void render(const VarView& v, std::string& out) const;

 private:
  struct SlotUse {
    uint32_t uses = 0;            // placeholders naming this slot
    uint32_t fallback_bytes = 0;  // their fallbacks' bytes (rendered when the value is missing)
  };
  // The rendering with every value missing, kept after the text.
  std::string_view missing() const { return std::string_view(text_).substr(text_size_); }

  std::string text_;                 // original text (literals and fallbacks point into it), then missing()
  size_t text_size_ = 0;             // of the original text
  std::vector<Segment> segs_;
  std::vector<SlotUse> slot_uses_;   // by slot (up to the largest slot this template names)
  size_t literal_bytes_ = 0;
  Mode mode_ = Mode::Json;
  bool has_vars_ = false;
};

}  // namespace pushgw
