// TZif decoding on arbitrary bytes (zone files are read like untrusted
// input), then the footer's POSIX TZ rule and the quiet-hours arithmetic on
// what parsed: never crash, offsets stay within the accepted range, every
// span contains the instant asked about, and a release instant lies after now.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <string_view>

#include "tz/posix_tz.h"
#include "tz/quiet_window.h"
#include "tz/zone.h"

namespace {

void check_span(const pushgw::tz::OffsetSpan& s, int64_t t) {
  if (!s.contains(t)) std::abort();
  if (s.offset_s < -26 * 3600 || s.offset_s > 26 * 3600) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace pushgw::tz;
  const std::string_view in(reinterpret_cast<const char*>(data), size);
  // The same bytes as a bare TZ string (the footer parser on its own).
  if (size < 128) {
    if (auto rule = PosixTz::parse(in)) {
      for (int64_t t : {int64_t{0}, int64_t{1780272000}, int64_t{-2208988800}, int64_t{4109878800}})
        check_span(rule->span_at(t), t);
    }
  }
  auto zone = Zone::parse_tzif(in);
  if (!zone.ok()) return 0;
  const QuietWindow windows[] = {*QuietWindow::parse("22:00-08:00"), *QuietWindow::parse("01:30-02:30")};
  int64_t probe = 0;
  if (size >= 8) std::memcpy(&probe, data + size - 8, 8);
  probe %= int64_t{1} << 40;  // within tens of thousands of years
  for (int64_t t : {probe, int64_t{0}, int64_t{1780272000}, int64_t{-2208988800}, int64_t{4109878800}}) {
    check_span(zone->span_at(t), t);
    if (zone->offset_at(t) != zone->span_at(t).offset_s) std::abort();
    for (const QuietWindow& w : windows) {
      const int64_t rel = w.release_at(*zone, t * 1000);
      if (rel != 0 && rel <= t * 1000) std::abort();
    }
  }
  return 0;
}
