// Runs a loop until a condition holds. timeout_ms only guards against a hang
// (the test then fails on the condition); it is not a timing assertion.
#pragma once
#include <uv.h>

#include <functional>

#include "loop/timer.h"

namespace pushgw::testing {

inline bool run_until(uv_loop_t* loop, const std::function<bool()>& done, int timeout_ms = 15000) {
  bool expired = false;
  loop::Timer guard(loop, [&expired] { expired = true; });
  guard.start(static_cast<uint64_t>(timeout_ms));
  while (!done() && !expired) uv_run(loop, UV_RUN_ONCE);
  return done();
}

}  // namespace pushgw::testing
