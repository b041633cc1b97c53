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
// fresh Verdict's) while its strings keep their capacity.
inline void reset_verdict(Verdict& v, VerdictKind kind, int status, std::string_view reason) {
  std::string kept_reason = std::move(v.reason), kept_id = std::move(v.id);
  v = Verdict{};
  v.reason = std::move(kept_reason);
  v.reason.assign(reason);
  v.id = std::move(kept_id);
  v.id.clear();
  v.kind = kind;
  v.http_status = status;
}

}  // namespace pushgw::provider
