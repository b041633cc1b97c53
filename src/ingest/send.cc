// The send op: request-level checks, notification dispatch by platform, and
// the helpers every platform parser shares.
#include <algorithm>
#include <charconv>
#include <cmath>
#include <limits>
#include <new>

#include "ingest/send.h"
#include "ingest/send_detail.h"
#include "ingest/timefmt.h"

namespace pushgw::ingest {
namespace detail {

Got get_string(dom::object o, std::string_view key, std::string_view& out) {
  dom::element e;
  if (o.at_key(key).get(e) != simdjson::SUCCESS) return Got::Absent;
  return e.get_string().get(out) == simdjson::SUCCESS ? Got::Ok : Got::Bad;
}

Got get_int(dom::object o, std::string_view key, int64_t& out) {
  dom::element e;
  if (o.at_key(key).get(e) != simdjson::SUCCESS) return Got::Absent;
  return e.get_int64().get(out) == simdjson::SUCCESS ? Got::Ok : Got::Bad;
}

Got get_time_ms(dom::object o, std::string_view key, int64_t& out_ms) {
  dom::element e;
  if (o.at_key(key).get(e) != simdjson::SUCCESS) return Got::Absent;
  std::string_view s;
  if (e.get_string().get(s) == simdjson::SUCCESS) {
    auto ms = parse_rfc3339_ms(s);
    if (!ms || *ms < 0) return Got::Bad;
    out_ms = *ms;
    return Got::Ok;
  }
  double secs;
  if (e.is_number() && e.get_double().get(secs) == simdjson::SUCCESS) {
    // Up to year ~5000: anything larger is a unit mistake (ms or µs given).
    if (!(secs >= 0 && secs <= 1e11)) return Got::Bad;
    out_ms = static_cast<int64_t>(std::llround(secs * 1000.0));
    return Got::Ok;
  }
  return Got::Bad;
}

void reject(SendRequest& out, uint32_t n, std::string_view token, bool is_endpoint, std::string_view code,
            std::string_view message) {
  ++out.rejected_total;
  auto it = std::find_if(out.rejected_by_code.begin(), out.rejected_by_code.end(),
                         [code](const RejectionCount& c) { return c.error == code; });
  if (it == out.rejected_by_code.end()) it = out.rejected_by_code.insert(it, RejectionCount{std::string(code), 0});
  ++it->count;
  if (out.rejected.size() >= kMaxListedRejections) return;
  Rejection& r = out.rejected.emplace_back();
  r.n = n;
  r.token.assign(token);
  r.is_endpoint = is_endpoint;
  r.error.assign(code);
  r.message.assign(message);
}

namespace {

// Guesses where the recipients are when the platform is unknown.
bool looks_like_webpush(const Ctx& c) {
  if (c.platform) return *c.platform == Platform::WebPush;
  dom::element e;
  return c.obj.at_key("tokens").get(e) != simdjson::SUCCESS &&
         c.obj.at_key("subscriptions").get(e) == simdjson::SUCCESS;
}

}  // namespace

void reject_all(const Ctx& c, std::string_view code, std::string_view message) {
  bool webpush = looks_like_webpush(c);
  dom::array list;
  if (c.obj.at_key(webpush ? "subscriptions" : "tokens").get(list) == simdjson::SUCCESS) {
    for (dom::element e : list) {
      std::string_view id;
      if (webpush) {
        dom::object sub;
        if (e.get(sub) == simdjson::SUCCESS && sub.at_key("endpoint").get(id) != simdjson::SUCCESS) id = {};
      } else {
        id = read_token_entry(e).token;
      }
      reject(c.out, c.n, id, webpush, code, message);
    }
    return;
  }
  std::string_view target;
  if (!webpush && (get_string(c.obj, "topic", target) == Got::Ok ||
                   get_string(c.obj, "condition", target) == Got::Ok) &&
      (!c.platform || *c.platform == Platform::Fcm)) {
    reject(c.out, c.n, target, false, code, message);
    return;
  }
  reject(c.out, c.n, {}, webpush, code, message);
}

std::unique_ptr<Batch> new_batch(Ctx& c) {
  int64_t expires = 0;
  if (get_time_ms(c.obj, "expires_at", expires) == Got::Bad) {
    reject_all(c, "bad_request", "expires_at must be an RFC 3339 time or unix seconds");
    return nullptr;
  }
  // Campaign policy: "class" is "transactional" (default) or "marketing".
  std::string_view cls;
  bool marketing = false;
  switch (get_string(c.obj, "class", cls)) {
    case Got::Absent: break;
    case Got::Ok:
      if (cls == "marketing") {
        marketing = true;
        break;
      }
      if (cls == "transactional") break;
      [[fallthrough]];
    case Got::Bad:
      reject_all(c, "bad_request", "class must be \"transactional\" or \"marketing\"");
      return nullptr;
  }
  if (!read_schedule(c, marketing)) return nullptr;
  bool cap_override = c.out.cap_override;
  dom::element cap;
  if (c.obj.at_key("cap").get(cap) == simdjson::SUCCESS) {
    bool v = true;
    if (cap.get_bool().get(v) != simdjson::SUCCESS) {
      reject_all(c, "bad_request", "cap must be a boolean");
      return nullptr;
    }
    cap_override = !v;
  }
  auto b = std::make_unique<Batch>();
  b->marketing = marketing;
  b->cap_override = cap_override;
  b->platform = *c.platform;
  b->app_id = c.app->app_id;
  b->n = c.n;
  b->wait = c.out.wait;
  b->campaign = c.out.campaign;
  b->expires_at_ms = expires;
  return b;
}

bool compile_json_template(Ctx& c, Batch& b, dom::object o, std::string_view what, size_t limit) {
  auto tmpl = Template::compile(simdjson::minify(o), Template::Mode::Json, b.vars_table);
  if (!tmpl.ok()) {
    reject_all(c, tmpl.error().code, std::string(what) + " has " + tmpl.error().message);
    return false;
  }
  b.tmpl = std::move(tmpl).value();
  if (!b.tmpl.has_vars() && b.tmpl.text().size() > limit) {
    reject_all(c, "payload_too_large",
               std::string(what) + " is " + std::to_string(b.tmpl.text().size()) + " bytes, limit " +
                   std::to_string(limit));
    return false;
  }
  return true;
}

void finish(Ctx& c, std::unique_ptr<Batch> b) {
  if (!b) return;
  std::unique_ptr<Batch> expired = finish_scheduled(c, *b);
  for (std::unique_ptr<Batch>* p : {&b, &expired}) {
    Batch* x = p->get();
    if (x == nullptr || x->recipients.empty()) continue;
    if (x->wait) x->results.resize(x->recipients.size());
    c.out.accepted += static_cast<uint32_t>(x->recipients.size());
    c.out.batches.push_back(std::move(*p));
  }
}

TokenEntry read_token_entry(dom::element e) {
  TokenEntry t;
  if (e.get_string().get(t.token) == simdjson::SUCCESS) return t;
  if (e.get_object().get(t.obj) == simdjson::SUCCESS) {
    t.is_object = true;
    if (t.obj.at_key("token").get_string().get(t.token) != simdjson::SUCCESS)
      t.error = "token entry needs a \"token\" string";
    return t;
  }
  t.error = "token must be a string or an object";
  return t;
}

ReserveHint token_hint(dom::array tokens, size_t min_len, size_t max_len) {
  ReserveHint h;
  for (dom::element e : tokens) {
    TokenEntry t = read_token_entry(e);
    // An unusable entry has no token: min_len >= 1 leaves it out too.
    const bool plausible = t.token.size() - min_len <= max_len - min_len;
    h.count += plausible;
    h.bytes += plausible ? t.token.size() + (t.is_object ? 32 : 0) : 0;
  }
  return h;
}

// ---- RecipientWriter ----

RecipientWriter::RecipientWriter(Batch& b, size_t count, size_t arena_bytes) : b_(b), count_(count) {
  b_.recipients.reserve(b_.recipients.size() + count);
  b_.arena.reserve(b_.arena.size() + arena_bytes);
}

Recipient& RecipientWriter::begin(std::string_view token) {
  mark_ = b_.arena.size();
  Recipient& r = b_.recipients.emplace_back();
  r.token_off = static_cast<uint32_t>(mark_);
  r.token_len = static_cast<uint32_t>(token.size());
  b_.arena.append(token);
  return r;
}

void RecipientWriter::add_keys(std::string_view p256dh65, std::string_view auth16) {
  b_.recipients.back().keys_off = static_cast<uint32_t>(b_.arena.size());
  b_.arena.append(p256dh65);
  b_.arena.append(auth16);
}

namespace {

// Sorts a recipient's values by slot; of a slot given twice (a JSON object
// may repeat a key) the last one wins, as it did when values were stored
// by slot. Small runs by insertion (stable, no allocation).
void sort_unique(std::vector<VarValue>& vars, size_t first) {
  auto b = vars.begin() + static_cast<std::ptrdiff_t>(first);
  auto by_slot = [](const VarValue& x, const VarValue& y) { return x.slot < y.slot; };
  if (vars.end() - b <= 16) {
    for (auto i = b + 1; i < vars.end(); ++i)
      std::rotate(std::upper_bound(b, i, *i, by_slot), i, i + 1);
  } else {
    std::stable_sort(b, vars.end(), by_slot);
  }
  auto out = b;
  for (auto i = b; i < vars.end(); ++i)
    if (i + 1 == vars.end() || (i + 1)->slot != i->slot) *out++ = *i;
  vars.erase(out, vars.end());
}

}  // namespace

bool RecipientWriter::set_vars(dom::element vars) {
  if (vars.is_null()) return true;  // same as no vars
  dom::object o;
  if (vars.get(o) != simdjson::SUCCESS) return false;
  if (b_.vars_table.size() == 0) return true;
  const size_t head = b_.vars.size();
  b_.vars.emplace_back();  // the run's header
  int32_t last = -1;
  bool sorted = true;
  for (dom::key_value_pair kv : o) {
    int32_t s = b_.vars_table.find(kv.key);
    if (s < 0) continue;  // only referenced vars are kept
    sorted &= s > last;
    last = s;
    VarValue v;
    v.slot = static_cast<uint16_t>(s);
    store(kv.value, v);
    b_.vars.push_back(v);
  }
  if (b_.vars.size() == head + 1) {  // none referenced: no run
    b_.vars.pop_back();
    return true;
  }
  if (!sorted) sort_unique(b_.vars, head + 1);
  if (head == 0) {
    // First run: guess the others are alike, within a bound that keeps a
    // wrong guess (one rich recipient among junk) cheap.
    constexpr size_t kMaxGuess = 65536;  // VarValues: 768 KiB
    b_.vars.reserve(std::min(kMaxGuess, count_ * b_.vars.size()));
  }
  b_.vars[head].len = static_cast<uint32_t>(b_.vars.size() - head - 1);
  b_.recipients.back().vars_off = static_cast<uint32_t>(head);
  return true;
}

void RecipientWriter::store(dom::element v, VarValue& out) {
  out.off = static_cast<uint32_t>(b_.arena.size());
  switch (v.type()) {
    case dom::element_type::STRING: {
      std::string_view s;
      if (v.get_string().get(s) != simdjson::SUCCESS) s = {};
      b_.arena.append(s);
      out.kind = VarValue::String;
      break;
    }
    case dom::element_type::INT64:
    case dom::element_type::UINT64:
    case dom::element_type::DOUBLE: {
      char buf[32];
      std::to_chars_result res{};
      if (v.type() == dom::element_type::INT64)
        res = std::to_chars(buf, buf + sizeof buf, int64_t(v.get_int64().value_unsafe()));
      else if (v.type() == dom::element_type::UINT64)
        res = std::to_chars(buf, buf + sizeof buf, uint64_t(v.get_uint64().value_unsafe()));
      else
        res = std::to_chars(buf, buf + sizeof buf, double(v.get_double().value_unsafe()));
      b_.arena.append(buf, static_cast<size_t>(res.ptr - buf));
      out.kind = VarValue::Literal;
      break;
    }
    case dom::element_type::BOOL:
      b_.arena.append(v.get_bool().value_unsafe() ? "true" : "false");
      out.kind = VarValue::Literal;
      break;
    case dom::element_type::NULL_VALUE:
      out.kind = VarValue::Missing;
      break;
    case dom::element_type::ARRAY:
    case dom::element_type::OBJECT:
      b_.arena.append(simdjson::minify(v));  // inserted as a string (escaped in JSON mode)
      out.kind = VarValue::String;
      break;
  }
  out.len = static_cast<uint32_t>(b_.arena.size() - out.off);
}

size_t RecipientWriter::rendered_size(size_t limit) {
  if (b_.recipients.back().vars_off == UINT32_MAX) return b_.tmpl.rendered_size_without_vars();
  return b_.tmpl.rendered_size(b_.var_view(static_cast<uint32_t>(b_.recipients.size() - 1)), limit);
}

void RecipientWriter::rollback() {
  // Its run, if any, is the last one (set_vars leaves nothing otherwise).
  if (const uint32_t run = b_.recipients.back().vars_off; run != UINT32_MAX) b_.vars.resize(run);
  b_.recipients.pop_back();
  b_.arena.resize(mark_);
}

}  // namespace detail

namespace {

using detail::Ctx;
using detail::Got;

void parse_notification(uint32_t n, simdjson::dom::element el, const AppDirectory& apps, int64_t now_ms,
                        const SchedulePolicy& policy, SendRequest& out) {
  Ctx c(n, out, now_ms, policy);
  if (el.get(c.obj) != simdjson::SUCCESS) {
    detail::reject(out, n, {}, false, "bad_request", "notification must be a JSON object");
    return;
  }
  std::string_view platform, app;
  Got gp = detail::get_string(c.obj, "platform", platform);
  if (gp != Got::Ok) {
    detail::reject_all(c, gp == Got::Absent ? "bad_request" : "unknown_platform",
                       gp == Got::Absent ? "notification needs \"platform\"" : "platform must be a string");
    return;
  }
  c.platform = parse_platform(platform);
  if (!c.platform) {
    detail::reject_all(c, "unknown_platform", "platform must be apns, fcm or webpush");
    return;
  }
  if (detail::get_string(c.obj, "app", app) != Got::Ok) {
    detail::reject_all(c, "bad_request", "notification needs an \"app\" string");
    return;
  }
  c.app = apps.find(*c.platform, app);
  if (c.app == nullptr) {
    std::string msg = "no ";
    msg.append(to_string(*c.platform)).append(" app named \"").append(app.substr(0, 128)).append("\"");
    detail::reject_all(c, "unknown_app", msg);
    return;
  }
  switch (*c.platform) {
    case Platform::Apns: detail::parse_apns(c); break;
    case Platform::Fcm: detail::parse_fcm(c); break;
    case Platform::WebPush: detail::parse_webpush(c); break;
  }
}

Result<SendRequest> parse_send_unguarded(simdjson::dom::element root, const AppDirectory& apps, int64_t now_ms,
                                         const SchedulePolicy& policy) {
  simdjson::dom::object obj;
  if (root.get(obj) != simdjson::SUCCESS) return make_error("bad_request", "request must be a JSON object");
  SendRequest req;
  simdjson::dom::element e;
  if (obj.at_key("wait").get(e) == simdjson::SUCCESS && e.get_bool().get(req.wait) != simdjson::SUCCESS)
    return make_error("bad_request", "\"wait\" must be a boolean");
  bool cap = true;
  if (obj.at_key("cap").get(e) == simdjson::SUCCESS && e.get_bool().get(cap) != simdjson::SUCCESS)
    return make_error("bad_request", "\"cap\" must be a boolean");
  req.cap_override = !cap;
  std::string_view campaign;
  if (detail::get_string(obj, "campaign", campaign) == Got::Bad)
    return make_error("bad_request", "\"campaign\" must be a string");
  req.campaign.assign(campaign);
  simdjson::dom::array notifications;
  if (obj.at_key("notifications").get(e) != simdjson::SUCCESS)
    return make_error("bad_request", "send needs \"notifications\"");
  if (e.get(notifications) != simdjson::SUCCESS)
    return make_error("bad_request", "\"notifications\" must be an array");
  uint32_t n = 0;
  for (simdjson::dom::element el : notifications) parse_notification(n++, el, apps, now_ms, policy, req);
  return req;
}

}  // namespace

Result<SendRequest> parse_send(simdjson::dom::element root, const AppDirectory& apps, int64_t now_ms,
                               const SchedulePolicy& policy) {
  // Memory is bounded by the request's size, but a large request can still
  // meet a full machine: it fails alone (everything it built is freed
  // here), the daemon and every other request go on.
  try {
    return parse_send_unguarded(root, apps, now_ms, policy);
  } catch (const std::bad_alloc&) {
    return make_error("out_of_memory", "not enough memory for this request; nothing of it was accepted");
  }
}

}  // namespace pushgw::ingest
