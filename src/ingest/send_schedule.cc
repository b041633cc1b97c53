// Campaign policy at ingest: "send_at", "schedule_key", "tz" and quiet hours.
// A recipient that is not to be sent now leaves its batch here, before any
// sender sees it: it joins a Deferred (a request line the gateway stores and
// parses again when due) or, when its notification expires before that, the
// notification's expired batch.
#include <simdjson.h>

#include "base/json_escape.h"
#include "ingest/send_detail.h"
#include "pushgw/template.h"
#include "tz/quiet_window.h"
#include "tz/zone_cache.h"

namespace pushgw::ingest::detail {
namespace {

constexpr size_t kMaxScheduleKey = 256;

bool valid_schedule_key(std::string_view k) {
  if (k.empty() || k.size() > kMaxScheduleKey) return false;
  for (unsigned char ch : k)
    if (ch < 0x20 || ch == 0x7f) return false;
  return true;
}

const tz::Zone* resolve(const Ctx& c, std::string_view name) {
  return c.policy.zones != nullptr ? c.policy.zones->find(name) : nullptr;
}

std::string unknown_zone(std::string_view name) {
  std::string m = "unknown time zone \"";
  base::json_escape_append(name.substr(0, 64), m);
  m += "\" (tz must be an IANA name such as \"Europe/Berlin\")";
  return m;
}

void append_quoted(std::string& out, std::string_view s) {
  out.push_back('"');
  base::json_escape_append(s, out);
  out.push_back('"');
}

// The send request of the notification's groups: the request's campaign
// and cap, and the notification as received minus "send_at", its recipient
// list cut out (each group puts its entries there; an FCM topic/condition
// is its own recipient, so there is no list).
std::shared_ptr<const DeferredText> request_text(const Ctx& c) {
  auto text = std::make_shared<DeferredText>();
  std::string* out = &text->head;  // the tail once past the list
  *out = "{\"op\":\"send\"";
  if (!c.out.campaign.empty()) {
    *out += ",\"campaign\":";
    append_quoted(*out, c.out.campaign);
  }
  if (c.out.cap_override) *out += ",\"cap\":false";
  *out += ",\"notifications\":[{";
  bool first = true;
  for (dom::key_value_pair kv : c.obj) {
    const bool is_list = !c.list_key.empty() && kv.key == c.list_key;
    // A repeated list key is dropped: parsing reads the first one.
    if (kv.key == "send_at" || (is_list && out != &text->head)) continue;
    if (!first) out->push_back(',');
    first = false;
    append_quoted(*out, kv.key);
    out->push_back(':');
    if (is_list) {
      out->push_back('[');
      out = &text->tail;
      out->push_back(']');
    } else {
      *out += simdjson::minify(kv.value);
    }
  }
  *out += "}]}";
  return text;
}

void add_expired(Ctx& c, const Batch& b, std::string_view target) {
  if (!c.expired) {
    auto e = std::make_unique<Batch>();
    e->platform = b.platform;
    e->app_id = b.app_id;
    e->n = b.n;
    e->wait = b.wait;
    e->campaign = b.campaign;
    e->marketing = b.marketing;
    e->cap_override = b.cap_override;
    // Senders finish a recipient past its expiry as expired without
    // sending it; 1 ms after the epoch is past whatever their clock says.
    e->expires_at_ms = 1;
    e->journaled = false;
    c.expired = std::move(e);
  }
  Batch& e = *c.expired;
  Recipient& r = e.recipients.emplace_back();
  r.token_off = static_cast<uint32_t>(e.arena.size());
  r.token_len = static_cast<uint32_t>(target.size());
  e.arena.append(target);
}

}  // namespace

bool read_schedule(Ctx& c, bool marketing) {
  if (get_time_ms(c.obj, "send_at", c.send_at_ms) == Got::Bad) {
    reject_all(c, "bad_request", "send_at must be an RFC 3339 time or unix seconds");
    return false;
  }
  const Got key = get_string(c.obj, "schedule_key", c.schedule_key);
  if (key == Got::Bad || (key == Got::Ok && !valid_schedule_key(c.schedule_key))) {
    reject_all(c, "bad_request", "schedule_key must be a string of 1 to 256 bytes without control characters");
    return false;
  }
  std::string_view tz;
  switch (get_string(c.obj, "tz", tz)) {
    case Got::Absent: break;
    case Got::Bad:
      reject_all(c, "bad_request", "tz must be a string (an IANA time zone name)");
      return false;
    case Got::Ok:
      c.zone = resolve(c, tz);
      if (c.zone == nullptr) {
        reject_all(c, "bad_request", unknown_zone(tz));
        return false;
      }
      break;
  }
  // Transactional sends are never held by quiet hours.
  c.schedules = c.send_at_ms > c.now_ms || (marketing && c.policy.quiet != nullptr);
  return true;
}

void place_scheduled(Ctx& c, Batch& b, RecipientWriter& w, const dom::element* entry, std::string_view target,
                     bool is_endpoint) {
  const tz::Zone* zone = c.zone;
  dom::object obj;
  dom::element tz_el;
  if (entry != nullptr && entry->get(obj) == simdjson::SUCCESS && obj.at_key("tz").get(tz_el) == simdjson::SUCCESS) {
    std::string_view name;
    const bool is_string = tz_el.get_string().get(name) == simdjson::SUCCESS;
    zone = is_string ? resolve(c, name) : nullptr;
    if (zone == nullptr) {
      w.rollback();
      reject(c.out, c.n, target, is_endpoint, "bad_request",
             is_string ? unknown_zone(name) : "tz must be a string (an IANA time zone name)");
      return;
    }
  }
  if (!c.schedules) return;
  int64_t due = 0;
  bool quiet = false;
  if (c.send_at_ms > c.now_ms) {
    due = c.send_at_ms;  // quiet hours are checked when it is due
  } else if (const tz::Zone* z = zone != nullptr ? zone : c.policy.default_zone) {
    due = c.policy.quiet->release_at(*z, c.now_ms);
    quiet = due != 0;
  }
  if (due == 0) return;
  std::string json = entry != nullptr ? simdjson::minify(*entry) : std::string();
  w.rollback();
  if (b.expires_at_ms > 0 && b.expires_at_ms <= due) {
    add_expired(c, b, target);
    return;
  }
  DeferGroup* g = nullptr;
  for (DeferGroup& x : c.groups)
    if (x.due_ms == due && x.quiet_hours == quiet) g = &x;
  if (g == nullptr) {
    g = &c.groups.emplace_back();
    g->due_ms = due;
    g->quiet_hours = quiet;
  }
  if (g->count++ > 0) g->entries.push_back(',');
  g->entries += json;
  g->targets.emplace_back(target);
}

std::unique_ptr<Batch> finish_scheduled(Ctx& c, const Batch& b) {
  for (DeferGroup& g : c.groups) {
    if (!c.deferred_text) c.deferred_text = request_text(c);
    const DeferredText& text = *c.deferred_text;
    const size_t bytes = text.head.size() + g.entries.size() + text.tail.size();
    const bool is_endpoint = b.platform == Platform::WebPush;
    if (c.out.deferred_bytes + bytes > kMaxDeferredBytes) {
      const std::string msg = "held for later, this notification is stored once per send time (" +
                              std::to_string(bytes) + " bytes here); a request's held sends are limited to " +
                              std::to_string(kMaxDeferredBytes) + " bytes";
      for (const std::string& target : g.targets) reject(c.out, c.n, target, is_endpoint, "payload_too_large", msg);
      continue;
    }
    c.out.deferred_bytes += bytes;
    Deferred& d = c.out.deferred.emplace_back();
    d.n = c.n;
    d.due_ms = g.due_ms;
    d.quiet_hours = g.quiet_hours;
    d.platform = b.platform;
    d.app = c.app->name;
    d.schedule_key.assign(c.schedule_key);
    d.expires_at_ms = b.expires_at_ms;
    d.recipients = g.count;
    d.is_endpoint = is_endpoint;
    d.targets = std::move(g.targets);
    d.text = c.deferred_text;
    d.entries = std::move(g.entries);
    c.out.accepted += g.count;
  }
  c.groups.clear();
  return std::move(c.expired);
}

}  // namespace pushgw::ingest::detail

namespace pushgw::ingest {

std::string Deferred::line() const {
  std::string line;
  line.reserve(line_size());
  if (text) line += text->head;
  line += entries;
  if (text) line += text->tail;
  return line;
}

size_t Deferred::line_size() const {
  return (text ? text->head.size() + text->tail.size() : 0) + entries.size();
}

void for_each_target(simdjson::dom::element request, const TargetFn& fn) {
  simdjson::dom::array notifications;
  if (request["notifications"].get(notifications) != simdjson::SUCCESS) return;
  uint32_t n = 0;
  for (simdjson::dom::element el : notifications) {
    const uint32_t idx = n++;
    simdjson::dom::object o;
    std::string_view platform_name, app, target;
    if (el.get(o) != simdjson::SUCCESS || o["platform"].get(platform_name) != simdjson::SUCCESS ||
        o["app"].get(app) != simdjson::SUCCESS)
      continue;
    const std::optional<Platform> platform = parse_platform(platform_name);
    if (!platform) continue;
    simdjson::dom::array list;
    if (*platform == Platform::WebPush) {
      if (o["subscriptions"].get(list) != simdjson::SUCCESS) continue;
      for (simdjson::dom::element sub : list)
        if (sub["endpoint"].get(target) == simdjson::SUCCESS) fn(idx, *platform, app, target, true);
    } else if (o["tokens"].get(list) == simdjson::SUCCESS) {
      for (simdjson::dom::element e : list) {
        const detail::TokenEntry t = detail::read_token_entry(e);
        if (t.error == nullptr) fn(idx, *platform, app, t.token, false);
      }
    } else if (o["topic"].get(target) == simdjson::SUCCESS || o["condition"].get(target) == simdjson::SUCCESS) {
      fn(idx, *platform, app, target, false);
    }
  }
}

}  // namespace pushgw::ingest
