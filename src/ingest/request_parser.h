// One request line -> a parsed JSON document plus its "op" and "id".
//
// Keeps the simdjson parser (and a padded copy of the line) so parsing
// allocates nothing once warm. root() and op() stay valid until the next
// parse(); one RequestParser per ingest thread.
#pragma once
#include <simdjson.h>

#include <memory>
#include <string>
#include <string_view>

#include "pushgw/result.h"

namespace pushgw::ingest {

class RequestParser {
 public:
  RequestParser() = default;
  RequestParser(const RequestParser&) = delete;
  RequestParser& operator=(const RequestParser&) = delete;

  // Errors: "parse_error" (not JSON; id_json() is then "null"), "bad_request"
  // (not an object, or "op" not a string; id_json() is already set).
  Result<void> parse(std::string_view line);

  std::string_view op() const { return op_; }                 // "" if absent
  const std::string& id_json() const { return id_json_; }     // raw JSON of "id", or "null"
  simdjson::dom::element root() const { return root_; }

 private:
  static constexpr size_t kShrinkAbove = 4u << 20;
  simdjson::dom::parser parser_;
  std::unique_ptr<char[]> buf_;  // line + SIMDJSON_PADDING, reused
  size_t buf_cap_ = 0;
  simdjson::dom::element root_;
  std::string_view op_;
  std::string id_json_ = "null";
};

}  // namespace pushgw::ingest
