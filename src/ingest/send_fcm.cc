// FCM notifications: an HTTP v1 message without its target, sent to each of
// "tokens", or once to a "topic" or "condition".
#include <cstdint>
#include <cstring>
#include <string>

#include "ingest/send_detail.h"

namespace pushgw::ingest::detail {
namespace {

// Printable ASCII without spaces (0x21..0x7e), 8 bytes per test: a byte
// below 0x21 borrows into its high bit, one of 0x7f or above has it set
// after adding 1 (0xff carries, but is >= 0x80 already). Only "any byte"
// is read from the mask, so borrows and carries into the next byte do not
// matter.
bool is_fcm_token(std::string_view t) {
  if (t.empty() || t.size() > kFcmMaxToken) return false;
  constexpr uint64_t kOnes = 0x0101010101010101ULL, kHighs = 0x8080808080808080ULL;
  size_t i = 0;
  for (; i + 8 <= t.size(); i += 8) {
    uint64_t w;
    std::memcpy(&w, t.data() + i, 8);
    if ((((w - kOnes * 0x21) & ~w) | w | (w + kOnes)) & kHighs) return false;
  }
  for (; i < t.size(); ++i) {
    const auto ch = static_cast<unsigned char>(t[i]);
    if (ch <= 0x20 || ch >= 0x7f) return false;
  }
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
std::string too_large(size_t size) {
  return "FCM message is at least " + std::to_string(size) + " bytes, limit " + std::to_string(kFcmMaxMessage);
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

// The one recipient of a "topic" or "condition" send.
void add_target(Ctx& c, Batch& b, std::string_view target, bool is_topic) {
  if (is_topic ? !is_topic_name(target) : !is_condition(target)) {
    reject(c.out, c.n, target, false, "bad_token",
           is_topic ? "FCM topic must match [a-zA-Z0-9-_.~%]+ (no \"/topics/\" prefix)"
                    : "FCM condition must be printable ASCII");
    return;
  }
  b.fcm.target = is_topic ? FcmOptions::Target::Topic : FcmOptions::Target::Condition;
  RecipientWriter w(b, 1, target.size());
  w.begin(target);
  if (size_t size = w.rendered_size(kFcmMaxMessage); size > kFcmMaxMessage) {
    w.rollback();
    reject(c.out, c.n, target, false, "payload_too_large", too_large(size));
  } else {
    place(c, b, w, nullptr, target, false);
  }
}

// Where the message goes: exactly one of "tokens" (an array), "topic" or
// "condition" (a string, in target). On a bad request returns its message.
struct Targets {
  bool has_tokens = false, has_topic = false;
  dom::array tokens;
  std::string_view target;
};
const char* read_targets(dom::object o, Targets& t) {
  dom::element tokens_el, topic_el, condition_el;
  t.has_tokens = o.at_key("tokens").get(tokens_el) == simdjson::SUCCESS;
  t.has_topic = o.at_key("topic").get(topic_el) == simdjson::SUCCESS;
  const bool has_condition = o.at_key("condition").get(condition_el) == simdjson::SUCCESS;
  if (int(t.has_tokens) + int(t.has_topic) + int(has_condition) != 1)
    return "FCM notification needs exactly one of \"tokens\", \"topic\", \"condition\"";
  if (t.has_tokens && tokens_el.get(t.tokens) != simdjson::SUCCESS) return "\"tokens\" must be an array";
  if (!t.has_tokens && (t.has_topic ? topic_el : condition_el).get(t.target) != simdjson::SUCCESS)
    return "topic and condition must be strings";
  return nullptr;
}

}  // namespace

void parse_fcm(Ctx& c) {
  Targets to;
  if (const char* bad = read_targets(c.obj, to)) return reject_all(c, "bad_request", bad);
  dom::object msg;
  if (c.obj.at_key("message").get(msg) != simdjson::SUCCESS)
    return reject_all(c, "bad_request", "FCM message must be a JSON object");
  if (const char* bad = check_message(msg)) return reject_all(c, "bad_request", bad);
  auto b = new_batch(c);
  if (!b || !compile_json_template(c, *b, msg, "FCM message", kFcmMaxMessage)) return;
  if (to.has_tokens) add_tokens(c, *b, to.tokens);
  else add_target(c, *b, to.target, to.has_topic);
  finish(c, std::move(b));
}

}  // namespace pushgw::ingest::detail
