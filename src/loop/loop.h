// Whole-loop helpers for owners of a uv_loop_t (sender threads, tests).
#pragma once
#include <uv.h>

#include <string>

namespace pushgw::loop {

// Runs the loop until nothing is left to do (close callbacks included), then
// uv_loop_close(). Returns uv_loop_close's result: 0 means every handle and
// request was released; UV_EBUSY means something is still open.
int run_and_close(uv_loop_t* loop);

// "timer(active) tcp(closing) ..." for every handle still known to the loop;
// for diagnostics when run_and_close() fails.
std::string describe_handles(uv_loop_t* loop);

}  // namespace pushgw::loop
