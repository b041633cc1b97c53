// Small JSON helpers shared by request building and response formatting.
#pragma once
#include <simdjson.h>

#include <string>
#include <string_view>

#include "pushgw/result.h"

namespace pushgw::ctl {

// s as a JSON string literal, quotes included.
std::string json_quote(std::string_view s);

// How a request's "id" and its response's "id" are matched: a string id by
// its decoded value, a missing or null id as null, anything else by its
// serialized form.
std::string id_key_of_string(std::string_view id);
std::string id_key_of(const simdjson::dom::object& obj);
inline constexpr std::string_view kNullIdKey = "null";

// A scalar as a table cell: strings unquoted, null as "", containers minified.
std::string cell_text(const simdjson::dom::element& e);

// Parses text into a JSON object held by parser. Error{"bad_json", why}.
Result<simdjson::dom::object> parse_object(simdjson::dom::parser& parser, std::string_view text);

// Removes insignificant whitespace without re-encoding anything (numbers and
// string escapes stay byte for byte). text must already be valid JSON.
std::string minify_text(std::string_view text);

}  // namespace pushgw::ctl
