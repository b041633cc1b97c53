#include "json_util.h"

#include "base/json_escape.h"

namespace pushgw::ctl {

std::string json_quote(std::string_view s) {
  std::string out;
  out.reserve(s.size() + 2);
  base::json_append_quoted(out, s);
  return out;
}

std::string id_key_of_string(std::string_view id) { return "s:" + std::string(id); }

std::string id_key_of(const simdjson::dom::object& obj) {
  simdjson::dom::element id;
  if (obj.at_key("id").get(id) || id.is_null()) return std::string(kNullIdKey);
  std::string_view s;
  if (!id.get_string().get(s)) return id_key_of_string(s);
  return "j:" + simdjson::minify(id);
}

std::string cell_text(const simdjson::dom::element& e) {
  std::string_view s;
  if (!e.get_string().get(s)) return std::string(s);
  if (e.is_null()) return "";
  return simdjson::minify(e);
}

Result<simdjson::dom::object> parse_object(simdjson::dom::parser& parser, std::string_view text) {
  simdjson::dom::element doc;
  if (auto err = parser.parse(text.data(), text.size(), true).get(doc)) {
    return make_error("bad_json", std::string("not valid JSON: ") + simdjson::error_message(err));
  }
  simdjson::dom::object obj;
  if (doc.get_object().get(obj)) return make_error("bad_json", "not a JSON object");
  return obj;
}

std::string minify_text(std::string_view text) {
  std::string out(text.size() + simdjson::SIMDJSON_PADDING, '\0');
  size_t len = 0;
  if (simdjson::minify(text.data(), text.size(), out.data(), len) != simdjson::SUCCESS) return std::string(text);
  out.resize(len);
  return out;
}

}  // namespace pushgw::ctl
