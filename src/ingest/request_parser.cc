#include "ingest/request_parser.h"

#include <cstring>

namespace pushgw::ingest {

Result<void> RequestParser::parse(std::string_view line) {
  op_ = {};
  id_json_.assign("null");
  root_ = {};
  size_t need = line.size() + simdjson::SIMDJSON_PADDING;
  if (buf_cap_ > kShrinkAbove && need <= kShrinkAbove) {
    // One huge request must not pin its buffers (the parser's tape is several
    // times the line) for the life of the thread.
    buf_.reset();
    buf_cap_ = 0;
    parser_ = simdjson::dom::parser();
  }
  if (need > buf_cap_) {
    // Grow geometrically so a stream of slightly longer lines does not
    // reallocate every time.
    size_t cap = std::max(need, buf_cap_ * 2);
    buf_.reset(new char[cap]);
    buf_cap_ = cap;
  }
  std::memcpy(buf_.get(), line.data(), line.size());
  std::memset(buf_.get() + line.size(), 0, simdjson::SIMDJSON_PADDING);

  simdjson::dom::element root;
  if (auto err = parser_.parse(buf_.get(), line.size(), false).get(root); err != simdjson::SUCCESS)
    return make_error("parse_error", std::string("invalid JSON: ") + simdjson::error_message(err));
  root_ = root;
  simdjson::dom::object obj;
  if (root.get(obj) != simdjson::SUCCESS) return make_error("bad_request", "request must be a JSON object");
  simdjson::dom::element id;
  if (obj.at_key("id").get(id) == simdjson::SUCCESS) id_json_ = simdjson::minify(id);
  simdjson::dom::element op;
  if (obj.at_key("op").get(op) == simdjson::SUCCESS) {
    if (op.get_string().get(op_) != simdjson::SUCCESS) return make_error("bad_request", "\"op\" must be a string");
  }
  return ok();
}

}  // namespace pushgw::ingest
