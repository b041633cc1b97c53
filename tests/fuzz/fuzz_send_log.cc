// libFuzzer target: a send-log entry (store/send_log_codec.h) as read back
// from the database at start and at compaction. The file is the store's own,
// but a damaged one must give an error, never a read out of bounds.
// Invariant beyond "no crash": what decodes re-encodes to an entry that
// decodes to the same rows, and a version-2 entry's canonical encoding is
// never longer than the input (a version-1 entry may grow: its fixed 8-byte
// times become varints).
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "store/send_log_codec.h"

namespace {

void check(bool cond) {
  if (!cond) __builtin_trap();
}

bool same(const pushgw::store::detail::SendDelta& a, const pushgw::store::detail::SendDelta& b) {
  return a.platform == b.platform && a.app == b.app && a.token == b.token && a.campaign == b.campaign &&
         a.sent == b.sent && a.delivered == b.delivered && a.failed == b.failed && a.first_at_ms == b.first_at_ms &&
         a.last_at_ms == b.last_at_ms;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace pushgw::store::detail;
  std::vector<SendDelta> rows, again;
  std::string text, text_again;
  const std::string_view in(reinterpret_cast<const char*>(data), size);
  if (!decode_send_log(in, rows, text)) {
    check(rows.empty());
    return 0;
  }
  std::string bytes;
  encode_send_log(rows, bytes);
  if (in[0] == 2) check(bytes.size() <= size);  // canonical choices are never longer than the input's
  check(static_cast<bool>(decode_send_log(bytes, again, text_again)));
  check(again.size() == rows.size());
  for (size_t i = 0; i < rows.size(); ++i) check(same(rows[i], again[i]));
  return 0;
}
