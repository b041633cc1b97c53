// Untrusted socket input: framing, JSON request parsing, send validation and
// expansion, then rendering every accepted recipient. Checks the invariants
// the senders rely on (offsets inside the arena, exact rendered sizes), and
// that every deferred group's stored line (send_at, quiet hours) parses
// again to exactly its recipients.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "base/authority.h"
#include "ingest/line_framer.h"
#include "ingest/request_parser.h"
#include "ingest/send.h"
#include "net/ip_class.h"
#include "tz/quiet_window.h"
#include "tz/zone_cache.h"

namespace {

using namespace pushgw;
using namespace pushgw::ingest;

class Apps : public AppDirectory {
 public:
  const AppInfo* find(Platform p, std::string_view name) const override {
    if (name == "nope") return nullptr;
    switch (p) {
      case Platform::Apns: return &apns_;
      case Platform::Fcm: return &fcm_;
      case Platform::WebPush: return name == "lab" ? &lab_ : &web_;
    }
    return nullptr;
  }

 private:
  AppInfo apns_{0, Platform::Apns, "a", false};
  AppInfo fcm_{1, Platform::Fcm, "f", false};
  AppInfo web_{2, Platform::WebPush, "w", false};
  AppInfo lab_{3, Platform::WebPush, "lab", true};
};

void check_batch(const Batch& b) {
  std::string out;
  for (uint32_t i = 0; i < b.recipients.size(); ++i) {
    const Recipient& r = b.recipients[i];
    if (size_t(r.token_off) + r.token_len > b.arena.size()) std::abort();
    // A subscription held past its own expiry (send_at after its TTL) goes
    // into the batch that is finished as expired without being sent
    // (send_schedule.cc add_expired, expires_at_ms = 1): it carries no keys.
    if (b.platform == Platform::WebPush && b.expires_at_ms != 1 && size_t(r.keys_off) + 81 > b.arena.size())
      std::abort();
    if (r.vars_off != UINT32_MAX &&
        (size_t(r.vars_off) >= b.vars.size() || size_t(r.vars_off) + 1 + b.vars[r.vars_off].len > b.vars.size()))
      std::abort();
    VarView v = b.var_view(i);
    if (v.values != nullptr && (v.count == 0 || v.count > b.vars_table.size())) std::abort();
    for (uint32_t s = 0; v.values && s < v.count; ++s) {
      if (size_t(v.values[s].off) + v.values[s].len > b.arena.size()) std::abort();
      if (v.values[s].slot >= b.vars_table.size() || (s > 0 && v.values[s].slot <= v.values[s - 1].slot)) std::abort();
    }
    out.clear();
    size_t want = b.tmpl.rendered_size(v);
    b.tmpl.render(v, out);
    if (out.size() != want) std::abort();
    size_t limit = b.platform == Platform::Apns ? kApnsMaxVoipPayload
                   : b.platform == Platform::Fcm ? kFcmMaxMessage
                                                 : kWebPushMaxPlaintext;
    if (out.size() > limit) std::abort();
    if (b.platform == Platform::WebPush) {
      base::HttpsUrl u;  // the provider re-reads it with the same parser
      if (base::parse_https_url(b.token(i), u) != base::UrlError::None) std::abort();
    }
  }
}

}  // namespace

// A deferred group's line, parsed when due, accepts exactly its recipients.
void check_deferred(const Deferred& d, const SchedulePolicy& policy) {
  static RequestParser again;
  const std::string line = d.line();
  if (d.recipients == 0 || line.empty() || line.size() != d.line_size()) std::abort();
  if (!again.parse(line).ok() || again.op() != "send") std::abort();
  static Apps apps;
  auto s = parse_send(again.root(), apps, d.due_ms, policy);
  if (!s.ok() || s->accepted != d.recipients || !s->rejected.empty()) std::abort();
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static Apps apps;
  static RequestParser parser;
  // 1'700'000'000'000 is 22:13Z: inside the quiet hours of UTC and Europe's zones.
  static tz::ZoneCache zones;
  static const tz::QuietWindow quiet = *tz::QuietWindow::parse("22:00-08:00");
  static const SchedulePolicy policy{&quiet, zones.find("UTC"), &zones};
  // The first byte picks a read size so split reads get exercised too.
  size_t chunk = size ? (data[0] % 64) + 1 : 1;
  const char* p = reinterpret_cast<const char*>(data) + (size ? 1 : 0);
  size_t n = size ? size - 1 : 0;
  LineFramer framer(1 << 16);
  auto on_line = [&](std::string_view line) {
    auto r = parser.parse(line);
    if (!r.ok()) return;
    (void)parser.id_json();
    if (parser.op() != "send") return;
    auto s = parse_send(parser.root(), apps, 1'700'000'000'000, policy);
    if (!s.ok()) return;
    uint32_t accepted = 0;
    for (const auto& b : s->batches) {
      accepted += static_cast<uint32_t>(b->recipients.size());
      check_batch(*b);
    }
    for (const auto& d : s->deferred) {
      accepted += d.recipients;
      check_deferred(d, policy);
    }
    if (accepted != s->accepted) std::abort();
    for (const auto& rej : s->rejected)
      if (rej.error.empty()) std::abort();
  };
  for (size_t off = 0; off < n; off += chunk)
    framer.feed(p + off, std::min(chunk, n - off), on_line, [] {});
  framer.flush(on_line);
  // The SSRF classifier must never crash on any text either.
  (void)net::classify_host(std::string_view(p, std::min<size_t>(n, 80)));
  return 0;
}
