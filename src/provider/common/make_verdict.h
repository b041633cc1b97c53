// The verdict every classifier starts from: kind, HTTP status and reason.
#pragma once
#include <string>
#include <string_view>
#include <utility>

#include "pushgw/verdict.h"

namespace pushgw::provider {

inline Verdict make_verdict(VerdictKind kind, int status, std::string_view reason) {
  Verdict v;
  v.kind = kind;
  v.http_status = status;
  v.reason.assign(reason);
  return v;
}

// v becomes make_verdict(kind, status, reason) (every other field as a
// fresh Verdict's) while its strings keep their capacity. Field by field:
// moving the strings out and back around `v = Verdict{}` cost ~60
// instructions per response. A field added to Verdict must be reset here
// (the size check below fails until it is).
inline void reset_verdict(Verdict& v, VerdictKind kind, int status, std::string_view reason) {
  static_assert(sizeof(Verdict) == 2 * sizeof(std::string) + 5 * sizeof(int64_t),
                "Verdict changed: reset its new field here");
  static const Verdict fresh;
  v.kind = kind;
  v.http_status = status;
  v.reason.assign(reason);
  v.id.clear();
  v.retry_after_ms = fresh.retry_after_ms;
  v.min_retry_ms = fresh.min_retry_ms;
  v.since_ms = fresh.since_ms;
  v.refresh_credential = fresh.refresh_credential;
  v.close_connection = fresh.close_connection;
}

}  // namespace pushgw::provider
