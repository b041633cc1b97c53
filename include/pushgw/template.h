// Per-recipient personalization: "{{name}}" and "{{name|fallback}}".
//
// A Template is compiled once per notification and rendered once per
// recipient, straight into the outgoing buffer. Compilation assigns each
// distinct variable name a slot (VarTable); a recipient's values are an array
// of VarValue indexed by slot, so rendering does no lookup and no allocation
// beyond growing the output string.
//
// Substitution is single-pass: a value is never expanded again.
#pragma once
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "pushgw/result.h"

namespace pushgw {

// Variable name -> slot. Shared by every template of one notification.
class VarTable {
 public:
  // Returns the slot for name, adding it if new.
  uint32_t slot(std::string_view name);
  // Returns the slot or -1 when the template never references name.
  int32_t find(std::string_view name) const;
  uint32_t size() const { return static_cast<uint32_t>(names_.size()); }
  const std::string& name(uint32_t slot) const { return names_[slot]; }

 private:
  std::vector<std::string> names_;
};

// One recipient's value for one slot. Bytes live in the owner's arena.
struct VarValue {
  enum Kind : uint8_t { Missing = 0, String = 1, Literal = 2 };  // Literal: number/bool JSON text
  uint8_t kind = Missing;
  uint32_t off = 0;   // into arena
  uint32_t len = 0;
};

// A recipient's view of its values: slots [0, count) (count == VarTable::size()).
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

  // Compiles text. Never fails: anything that is not a well-formed
  // "{{name}}" / "{{name|fallback}}" stays literal text.
  static Result<Template> compile(std::string_view text, Mode mode, VarTable& vars);

  bool has_vars() const { return has_vars_; }
  const std::string& text() const { return text_; }

  // Exact size render() would append for these values.
  size_t rendered_size(const VarView& v) const;
  // Appends the rendered text to out.
  void render(const VarView& v, std::string& out) const;

 private:
  std::string text_;                 // original text (literals and fallbacks point into it)
  std::vector<Segment> segs_;
  Mode mode_ = Mode::Json;
  bool has_vars_ = false;
};

}  // namespace pushgw
