// libFuzzer target: the TOML config parser and validator (credential files
// are not read, so the input alone drives it). Invariants checked beyond
// "does not crash": every error line names the file, and a config that loads
// has the invariants the rest of the daemon relies on.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "config/origin.h"
#include "settings/settings.h"

namespace {

void check(bool cond) {
  if (!cond) __builtin_trap();
}

void check_loaded(const pushgw::settings::Settings& c) {
  check(c.server.socket_mode <= 0777);
  check(c.server.max_line_bytes >= 1024);
  check(c.delivery.max_attempts >= 1);
  for (const auto& a : c.apns) check(a.team_id.size() == 10 && a.key_id.size() == 10 && a.connections >= 1);
  for (const auto& f : c.fcm) check(!f.app.empty() && f.connections >= 1);
  for (const auto& w : c.webpush) check(!w.vapid_subject.empty() && w.connections >= 1);
  for (const auto& a : c.apns) {
    if (!a.endpoint.empty()) check(pushgw::config::parse_https_origin(a.endpoint).ok());
  }
  for (const auto& f : c.fcm) {
    if (!f.endpoint.empty()) check(pushgw::config::parse_https_origin(f.endpoint).ok());
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  auto r = pushgw::settings::parse(text, "fuzz.toml", /*read_credentials=*/false);
  if (r.ok()) {
    check_loaded(**r);
  } else {
    const std::string& m = r.error().message;
    check(!m.empty());
    for (size_t pos = 0; pos < m.size();) {
      check(m.compare(pos, 9, "fuzz.toml") == 0);
      const size_t nl = m.find('\n', pos);
      if (nl == std::string::npos) break;
      pos = nl + 1;
    }
  }
  // The endpoint-override parser on its own, on the raw bytes.
  auto o = pushgw::config::parse_https_origin(text);
  if (o.ok()) check(!o->host.empty() && o->port >= 1);
  return 0;
}
