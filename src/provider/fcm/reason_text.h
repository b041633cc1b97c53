// Provider-supplied text (Google's error message, a push service's 400 body)
// becomes a result reason that is shown in JSON responses and stored with
// feedback events. Untrusted bytes: keep printable ASCII, turn runs of
// whitespace/control bytes into one space and anything else into '?', so a
// truncation can never split a UTF-8 sequence or inject a line.
// (A copy lives in provider/webpush; a candidate for provider/common.)
#pragma once
#include <cstddef>
#include <string>
#include <string_view>

namespace pushgw::provider {

inline void append_reason_text(std::string& out, std::string_view text, size_t max_bytes) {
  size_t written = 0;
  bool space = false;
  for (char c : text) {
    if (written >= max_bytes) break;
    auto u = static_cast<unsigned char>(c);
    if (u <= 0x20 || u == 0x7f) {
      space = written > 0;
      continue;
    }
    if (space) {
      if (written + 1 >= max_bytes) break;
      out.push_back(' ');
      ++written;
      space = false;
    }
    out.push_back(u < 0x7f ? c : '?');
    ++written;
  }
}

}  // namespace pushgw::provider
