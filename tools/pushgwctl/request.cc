#include "request.h"

#include <simdjson.h>

#include "json_util.h"

namespace pushgw::ctl {
namespace {

Error bad_input(std::string why) { return make_error("bad_input", std::move(why)); }

std::vector<std::string> platforms_of(const simdjson::dom::object& obj) {
  std::vector<std::string> out;
  simdjson::dom::array notifications;
  if (obj.at_key("notifications").get_array().get(notifications)) return out;
  for (simdjson::dom::element n : notifications) {
    std::string_view p;
    out.emplace_back(n.at_key("platform").get_string().get(p) ? std::string_view() : p);
  }
  return out;
}

// Re-serializes every member but "wait". Only used when --wait must override
// an explicit "wait" in the file; values keep their meaning (numbers may be
// re-spelled, e.g. 1.0 as 1.0 or 1e2 as 100.0).
std::string members_without_wait(const simdjson::dom::object& obj) {
  std::string out;
  for (auto field : obj) {
    if (field.key == "wait") continue;
    out += json_quote(field.key);
    out += ':';
    out += simdjson::minify(field.value);
    out += ',';
  }
  return out;
}

}  // namespace

Result<SendRequest> build_send_request(std::string_view text, bool force_wait, std::string_view fresh_id) {
  simdjson::dom::parser parser;
  auto obj = parse_object(parser, text);
  if (!obj.ok()) return bad_input(obj.error().message);

  SendRequest req;
  std::string prefix;  // members to add in front, each followed by ','
  simdjson::dom::element op;
  if (!obj->at_key("op").get(op)) {
    std::string_view s;
    if (op.get_string().get(s) || s != "send") return bad_input("\"op\" must be \"send\" (or absent)");
  } else {
    prefix += "\"op\":\"send\",";
  }
  simdjson::dom::element id;
  if (!obj->at_key("id").get(id)) {
    if (!id.is_string() && !id.is_null()) return bad_input("\"id\" must be a string");
    req.id_key = id_key_of(*obj);
  } else {
    prefix += "\"id\":" + json_quote(fresh_id) + ",";
    req.id_key = id_key_of_string(fresh_id);
  }
  simdjson::dom::element w;
  const bool has_wait = !obj->at_key("wait").get(w);
  bool wait_value = false;
  const bool wait_true = has_wait && !w.get_bool().get(wait_value) && wait_value;
  req.wait = force_wait || wait_true;
  req.platforms = platforms_of(*obj);

  if (force_wait && has_wait && !wait_true) {
    req.line = "{" + prefix + members_without_wait(*obj) + "\"wait\":true}";
    return req;
  }
  if (force_wait && !has_wait) prefix += "\"wait\":true,";
  req.line = minify_text(text);
  if (!prefix.empty()) {
    if (req.line == "{}") prefix.pop_back();  // no member follows
    req.line.insert(1, prefix);
  }
  return req;
}

Result<RawRequest> build_raw_request(std::string_view text) {
  simdjson::dom::parser parser;
  auto obj = parse_object(parser, text);
  if (!obj.ok()) return bad_input(obj.error().message);
  return RawRequest{minify_text(text), id_key_of(*obj)};
}

std::string build_op_request(std::string_view op, std::string_view id) {
  return "{\"op\":" + json_quote(op) + ",\"id\":" + json_quote(id) + "}";
}

std::string build_feedback_request(std::string_view id, uint64_t since, std::optional<uint64_t> limit) {
  std::string line = "{\"op\":\"feedback\",\"id\":" + json_quote(id) + ",\"since\":" + std::to_string(since);
  if (limit) line += ",\"limit\":" + std::to_string(*limit);
  return line + "}";
}

std::string build_token_request(std::string_view op, std::string_view id, const Options& o) {
  std::string line = "{\"op\":" + json_quote(op) + ",\"id\":" + json_quote(id) +
                     ",\"platform\":" + json_quote(o.platform) + ",\"app\":" + json_quote(o.app);
  if (!o.endpoint.empty()) {
    line += ",\"endpoint\":" + json_quote(o.endpoint);
  } else {
    line += ",\"token\":" + json_quote(o.token);
  }
  return line + "}";
}

}  // namespace pushgw::ctl
