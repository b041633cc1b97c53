// The verdict every classifier starts from: kind, HTTP status and reason.
#pragma once
#include <string_view>

#include "pushgw/verdict.h"

namespace pushgw::provider {

inline Verdict make_verdict(VerdictKind kind, int status, std::string_view reason) {
  Verdict v;
  v.kind = kind;
  v.http_status = status;
  v.reason.assign(reason);
  return v;
}

}  // namespace pushgw::provider
