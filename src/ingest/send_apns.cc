// APNs notifications: 64-hex device tokens, a JSON object payload, and the
// apns-* header options.
#include <array>
#include <cstdint>
#include <cstring>
#include <limits>
#include <string>

#include "ingest/send_detail.h"

namespace pushgw::ingest::detail {
namespace {

constexpr std::array<std::string_view, 9> kPushTypes = {
    "alert", "background", "location", "voip", "complication", "fileprovider", "mdm", "liveactivity",
    "pushtotalk"};

// 8 hex digits in w? Once no byte has its high bit, adding a constant below
// 0x80 to a byte cannot carry into the next one, so each byte's high bit
// after the add answers "b >= lo" (or "b > hi") for that byte exactly.
bool hex8(uint64_t w) {
  constexpr uint64_t k = 0x0101010101010101ULL, high = 0x8080808080808080ULL;
  if (w & high) return false;
  auto at_least = [&](uint64_t x, unsigned lo) { return (x + k * (0x80 - lo)) & high; };
  auto at_most = [&](uint64_t x, unsigned hi) { return ~(x + k * (0x7f - hi)) & high; };
  const uint64_t lower = w | k * 0x20;  // 'A'-'F' -> 'a'-'f' (and digits stay digits)
  const uint64_t digit = at_least(w, '0') & at_most(w, '9');
  const uint64_t letter = at_least(lower, 'a') & at_most(lower, 'f');
  return (digit | letter) == high;
}

bool is_apns_token(std::string_view t) {
  if (t.size() != 64) return false;
  for (size_t i = 0; i < 64; i += 8) {
    uint64_t w;
    std::memcpy(&w, t.data() + i, 8);
    if (!hex8(w)) return false;
  }
  return true;
}

// Header values must not smuggle control bytes into HTTP/2 headers.
bool printable(std::string_view s) {
  for (unsigned char c : s)
    if (c < 0x20 || c > 0x7e) return false;
  return true;
}

// Reads the header options; on a bad one returns its message.
const char* read_options(dom::object o, ApnsOptions& opt) {
  std::string_view s;
  int64_t v = 0;
  switch (get_string(o, "push_type", s)) {
    case Got::Bad: return "push_type must be a string";
    case Got::Ok: {
      bool known = false;
      for (std::string_view t : kPushTypes) known |= (t == s);
      if (!known)
        return "push_type must be one of alert, background, location, voip, complication, fileprovider, "
               "mdm, liveactivity, pushtotalk";
      opt.push_type.assign(s);
      break;
    }
    case Got::Absent: break;
  }
  switch (get_int(o, "priority", v)) {
    case Got::Bad: return "priority must be 1, 5 or 10";
    case Got::Ok:
      if (v != 1 && v != 5 && v != 10) return "priority must be 1, 5 or 10";
      opt.priority = static_cast<int>(v);
      break;
    case Got::Absent: break;
  }
  switch (get_int(o, "expiration", v)) {
    case Got::Bad: return "expiration must be an integer >= 0 (unix seconds)";
    case Got::Ok:
      if (v < 0 || v > std::numeric_limits<int64_t>::max() / 1000)
        return "expiration must be an integer >= 0 (unix seconds)";
      opt.expiration = v;
      break;
    case Got::Absent: break;
  }
  switch (get_string(o, "collapse_id", s)) {
    case Got::Bad: return "collapse_id must be a string of at most 64 bytes";
    case Got::Ok:
      if (s.size() > 64 || !printable(s)) return "collapse_id must be a string of at most 64 bytes";
      opt.collapse_id.assign(s);
      break;
    case Got::Absent: break;
  }
  switch (get_string(o, "topic", s)) {
    case Got::Bad: return "topic must be a string";
    case Got::Ok:
      if (s.size() > 255 || !printable(s)) return "topic must be printable ASCII";
      opt.topic.assign(s);
      break;
    case Got::Absent: break;
  }
  return nullptr;
}

// Each entry of "tokens": checked, then placed in the batch or rejected.
void add_tokens(Ctx& c, Batch& b, dom::array tokens, size_t limit) {
  c.list_key = "tokens";
  const ReserveHint hint = token_hint(tokens, 64, 64);
  RecipientWriter w(b, hint.count, hint.bytes);
  for (dom::element e : tokens) {
    TokenEntry t = read_token_entry(e);
    if (t.error != nullptr) {
      reject(c.out, c.n, t.token, false, "bad_request", t.error);
      continue;
    }
    if (!is_apns_token(t.token)) {
      reject(c.out, c.n, t.token, false, "bad_token", "APNs token must be 64 hex chars");
      continue;
    }
    int64_t registered_ms = 0;
    if (t.is_object && get_time_ms(t.obj, "registered_at", registered_ms) == Got::Bad) {
      reject(c.out, c.n, t.token, false, "bad_request", "registered_at must be an RFC 3339 time or unix seconds");
      continue;
    }
    Recipient& r = w.begin(t.token);
    r.registered_at_ms = registered_ms;
    dom::element vars;
    if (t.is_object && t.obj.at_key("vars").get(vars) == simdjson::SUCCESS && !w.set_vars(vars)) {
      w.rollback();
      reject(c.out, c.n, t.token, false, "bad_request", "vars must be an object");
      continue;
    }
    if (size_t size = w.rendered_size(limit); size > limit) {
      w.rollback();
      reject(c.out, c.n, t.token, false, "payload_too_large",
             "APNs payload is at least " + std::to_string(size) + " bytes, limit " + std::to_string(limit));
      continue;
    }
    place(c, b, w, &e, t.token, false);
  }
}

// The request's own fields: "tokens", the header options and "payload";
// on a bad one returns its message.
const char* read_request(dom::object o, dom::array& tokens, ApnsOptions& opt, dom::object& payload) {
  if (o.at_key("tokens").get(tokens) != simdjson::SUCCESS) return "APNs notification needs a \"tokens\" array";
  if (const char* bad = read_options(o, opt)) return bad;
  if (o.at_key("payload").get(payload) != simdjson::SUCCESS) return "APNs payload must be a JSON object";
  return nullptr;
}

}  // namespace

void parse_apns(Ctx& c) {
  dom::array tokens;
  ApnsOptions opt;
  dom::object payload;
  if (const char* bad = read_request(c.obj, tokens, opt, payload)) return reject_all(c, "bad_request", bad);
  auto b = new_batch(c);
  if (!b) return;
  if (opt.expiration > 0 && (b->expires_at_ms == 0 || opt.expiration * 1000 < b->expires_at_ms))
    b->expires_at_ms = opt.expiration * 1000;
  const size_t limit = opt.push_type == "voip" ? kApnsMaxVoipPayload : kApnsMaxPayload;
  b->apns = std::move(opt);
  if (!compile_json_template(c, *b, payload, "APNs payload", limit)) return;
  add_tokens(c, *b, tokens, limit);
  finish(c, std::move(b));
}

}  // namespace pushgw::ingest::detail
