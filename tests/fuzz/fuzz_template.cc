// Template compile/render on arbitrary text and values: compile is total,
// rendered_size equals what render appends, a template without placeholders
// renders verbatim, and Json mode never emits raw control bytes from values.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <vector>

#include "base/json_escape.h"
#include "pushgw/template.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace pushgw;
  if (size < 2) return 0;
  auto mode = (data[0] & 1) ? Template::Mode::Raw : Template::Mode::Json;
  std::string_view in(reinterpret_cast<const char*>(data) + 1, size - 1);
  // Text and values are separated by '\0'; values by '\x01'.
  size_t cut = in.find('\0');
  std::string_view text = in.substr(0, cut);
  std::string_view vals = cut == std::string_view::npos ? std::string_view() : in.substr(cut + 1);

  VarTable vt;
  auto t = Template::compile(text, mode, vt);
  if (!t.ok()) {  // compile is total below the placeholder bound
    if (t.error().code != "too_many_placeholders" || text.size() < 5 * size_t{kMaxPlaceholders}) std::abort();
    return 0;
  }
  // A sparse view: an empty value leaves its slot out, "\x02" lists it Missing.
  std::string arena;
  std::vector<VarValue> values;
  for (uint32_t s = 0; s < vt.size() && !vals.empty(); ++s) {
    size_t sep = vals.find('\x01');
    std::string_view v = vals.substr(0, sep);
    vals = sep == std::string_view::npos ? std::string_view() : vals.substr(sep + 1);
    if (v.empty()) continue;
    uint8_t kind = v == "\x02" ? VarValue::Missing : static_cast<uint8_t>(1 + (v[0] & 1));
    values.push_back(VarValue{.kind = kind, .slot = static_cast<uint16_t>(s), .off = static_cast<uint32_t>(arena.size()),
                              .len = static_cast<uint32_t>(v.size())});
    arena.append(v);
  }
  // The early stop: any limit gives the exact size or a size above it.
  const size_t exact = t->rendered_size(VarView{values.data(), static_cast<uint32_t>(values.size()), arena.data()});
  const size_t limit = exact * data[0] / 200;  // 0 .. 1.27 x exact
  const size_t bounded =
      t->rendered_size(VarView{values.data(), static_cast<uint32_t>(values.size()), arena.data()}, limit);
  if (exact <= limit ? bounded != exact : (bounded <= limit || bounded > exact)) std::abort();
  VarView view{values.data(), static_cast<uint32_t>(values.size()), arena.data()};
  std::string out = "x";
  size_t want = t->rendered_size(view);
  t->render(view, out);
  if (out.size() != want + 1) std::abort();
  if (!t->has_vars() && out.compare(1, std::string::npos, text) != 0) std::abort();
  // Missing everything: same invariant.
  out.clear();
  t->render(VarView{}, out);
  if (out.size() != t->rendered_size(VarView{})) std::abort();
  // Escaping is exact.
  std::string esc;
  base::json_escape_append(text, esc);
  if (esc.size() != base::json_escaped_size(text)) std::abort();
  for (char c : esc)
    if (static_cast<unsigned char>(c) < 0x20) std::abort();
  return 0;
}
