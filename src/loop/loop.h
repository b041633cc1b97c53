// Whole-loop helpers for owners of a uv_loop_t (sender threads, tests), and
// Loop, the owner of a program's main loop.
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

// The main thread's loop. Declare it before everything that uses it: its
// destructor runs last, finishes the close callbacks of the handles the other
// objects' destructors closed, and closes the loop. A handle still active
// then (something never closed, on an error path) is left to process exit
// rather than run: its owner is gone.
class Loop {
 public:
  Loop();
  ~Loop();
  Loop(const Loop&) = delete;
  Loop& operator=(const Loop&) = delete;

  uv_loop_t* get() { return &loop_; }
  // Runs until no active (ref'd) handle is left.
  void run();

 private:
  uv_loop_t loop_{};
};

}  // namespace pushgw::loop
