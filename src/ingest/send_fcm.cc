// FCM notifications: an HTTP v1 message without its target, sent to each of
// "tokens", or once to a "topic" or "condition".
#include <string>

#include "ingest/send_detail.h"

namespace pushgw::ingest::detail {
namespace {

bool is_fcm_token(std::string_view t) {
  if (t.empty() || t.size() > kFcmMaxToken) return false;
  for (unsigned char ch : t)
    if (ch <= 0x20 || ch >= 0x7f) return false;
  return true;
}

bool is_topic_name(std::string_view t) {
  if (t.empty() || t.size() > kFcmMaxToken) return false;
  for (char ch : t) {
    bool ok = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') || ch == '-' ||
              ch == '_' || ch == '.' || ch == '~' || ch == '%';
    if (!ok) return false;
  }
  return true;
}

bool is_condition(std::string_view t) {
  if (t.empty() || t.size() > 4096) return false;
  for (unsigned char ch : t)
    if (ch < 0x20 || ch >= 0x7f) return false;
  return true;
}

// Rendered sizes stop being counted past the limit: say "at least".
std::string too_large(size_t size, bool exact = false) {
  return std::string("FCM message is ") + (exact ? "" : "at least ") + std::to_string(size) + " bytes, limit " +
         std::to_string(kFcmMaxMessage);
}

// "message" must leave the target to the gateway.
const char* check_message(dom::object msg) {
  dom::element e;
  if (msg.at_key("token").get(e) == simdjson::SUCCESS)
    return "message must not contain \"token\": the gateway adds each recipient's token";
  if (msg.at_key("topic").get(e) == simdjson::SUCCESS || msg.at_key("condition").get(e) == simdjson::SUCCESS)
    return "message must not contain \"topic\" or \"condition\": give it next to \"message\" instead";
  return nullptr;
}

void add_tokens(Ctx& c, Batch& b, dom::array tokens) {
  c.list_key = "tokens";
  const ReserveHint hint = token_hint(tokens, 1, kFcmMaxToken);
  RecipientWriter w(b, hint.count, hint.bytes);
  for (dom::element e : tokens) {
    TokenEntry t = read_token_entry(e);
    if (t.error != nullptr) {
      reject(c.out, c.n, t.token, false, "bad_request", t.error);
      continue;
    }
    if (!is_fcm_token(t.token)) {
      reject(c.out, c.n, t.token, false, "bad_token",
             "FCM token must be 1 to 4096 bytes of printable ASCII without spaces");
      continue;
    }
    w.begin(t.token);
    dom::element vars;
    if (t.is_object && t.obj.at_key("vars").get(vars) == simdjson::SUCCESS && !w.set_vars(vars)) {
      w.rollback();
      reject(c.out, c.n, t.token, false, "bad_request", "vars must be an object");
      continue;
    }
    if (size_t size = w.rendered_size(kFcmMaxMessage); size > kFcmMaxMessage) {
      w.rollback();
      reject(c.out, c.n, t.token, false, "payload_too_large", too_large(size));
      continue;
    }
    place(c, b, w, &e, t.token, false);
  }
}

}  // namespace

void parse_fcm(Ctx& c) {
  dom::element tokens_el, topic_el, condition_el;
  bool has_tokens = c.obj.at_key("tokens").get(tokens_el) == simdjson::SUCCESS;
  bool has_topic = c.obj.at_key("topic").get(topic_el) == simdjson::SUCCESS;
  bool has_condition = c.obj.at_key("condition").get(condition_el) == simdjson::SUCCESS;
  if (int(has_tokens) + int(has_topic) + int(has_condition) != 1) {
    reject_all(c, "bad_request", "FCM notification needs exactly one of \"tokens\", \"topic\", \"condition\"");
    return;
  }
  dom::array tokens;
  if (has_tokens && tokens_el.get(tokens) != simdjson::SUCCESS) {
    reject_all(c, "bad_request", "\"tokens\" must be an array");
    return;
  }
  std::string_view target;
  if (!has_tokens && (has_topic ? topic_el : condition_el).get(target) != simdjson::SUCCESS) {
    reject_all(c, "bad_request", "topic and condition must be strings");
    return;
  }
  dom::object msg;
  if (c.obj.at_key("message").get(msg) != simdjson::SUCCESS) {
    reject_all(c, "bad_request", "FCM message must be a JSON object");
    return;
  }
  if (const char* bad = check_message(msg)) {
    reject_all(c, "bad_request", bad);
    return;
  }
  auto b = new_batch(c);
  if (!b) return;
  auto tmpl = Template::compile(simdjson::minify(msg), Template::Mode::Json, b->vars_table);
  if (!tmpl.ok()) {
    reject_all(c, tmpl.error().code, "FCM message has " + tmpl.error().message);
    return;
  }
  b->tmpl = std::move(tmpl).value();
  if (!b->tmpl.has_vars() && b->tmpl.text().size() > kFcmMaxMessage) {
    reject_all(c, "payload_too_large", too_large(b->tmpl.text().size(), true));
    return;
  }
  if (has_tokens) {
    add_tokens(c, *b, tokens);
  } else {
    const bool is_topic = has_topic;
    if (is_topic ? !is_topic_name(target) : !is_condition(target)) {
      reject(c.out, c.n, target, false, "bad_token",
             is_topic ? "FCM topic must match [a-zA-Z0-9-_.~%]+ (no \"/topics/\" prefix)"
                      : "FCM condition must be printable ASCII");
      return;
    }
    b->fcm.target = is_topic ? FcmOptions::Target::Topic : FcmOptions::Target::Condition;
    RecipientWriter w(*b, 1, target.size());
    w.begin(target);
    if (size_t size = w.rendered_size(kFcmMaxMessage); size > kFcmMaxMessage) {
      w.rollback();
      reject(c.out, c.n, target, false, "payload_too_large", too_large(size));
    } else {
      place(c, *b, w, nullptr, target, false);
    }
  }
  finish(c, std::move(b));
}

}  // namespace pushgw::ingest::detail
