#include "provider/common/json_fields.h"

#include <simdjson.h>

namespace pushgw::provider {
namespace {

// Error bodies are small and rare next to 200s, so a parser per call is fine.
template <class F>
void with_object(std::string_view body, F&& f) {
  if (body.empty() || body.size() > (1u << 20)) return;
  simdjson::dom::parser parser;
  simdjson::dom::element root;
  if (parser.parse(body.data(), body.size(), true).get(root)) return;
  simdjson::dom::object obj;
  if (root.get_object().get(obj)) return;
  f(obj);
}

}  // namespace

std::string json_string_field(std::string_view body, std::string_view key) {
  std::string out;
  with_object(body, [&](simdjson::dom::object obj) {
    std::string_view s;
    if (!obj[key].get_string().get(s)) out.assign(s);
  });
  return out;
}

int64_t json_int_field(std::string_view body, std::string_view key) {
  int64_t out = 0;
  with_object(body, [&](simdjson::dom::object obj) {
    int64_t v;
    uint64_t u;
    double d;
    auto el = obj[key];
    if (!el.get_int64().get(v)) out = v;
    else if (!el.get_uint64().get(u)) out = static_cast<int64_t>(u);
    else if (!el.get_double().get(d) && d > -9.0e18 && d < 9.0e18) out = static_cast<int64_t>(d);
  });
  return out;
}

}  // namespace pushgw::provider
