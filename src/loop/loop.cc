#include "loop/loop.h"

namespace pushgw::loop {

int run_and_close(uv_loop_t* loop) {
  uv_run(loop, UV_RUN_DEFAULT);
  return uv_loop_close(loop);
}

Loop::Loop() { uv_loop_init(&loop_); }

namespace {
bool only_closing_handles(uv_loop_t* loop) {
  bool only = true;
  uv_walk(
      loop, [](uv_handle_t* h, void* arg) { *static_cast<bool*>(arg) &= uv_is_closing(h) != 0; }, &only);
  return only;
}
}  // namespace

Loop::~Loop() {
  // Something still open has lost its owner: running the loop could call into
  // freed memory. Leave it (and the loop) to the process exit.
  if (!only_closing_handles(&loop_)) return;
  // Closing handles release their memory in close callbacks; one may close
  // another, hence a few turns.
  for (int i = 0; i < 8 && uv_loop_alive(&loop_) != 0; ++i) uv_run(&loop_, UV_RUN_NOWAIT);
  uv_loop_close(&loop_);
}

void Loop::run() { uv_run(&loop_, UV_RUN_DEFAULT); }

std::string describe_handles(uv_loop_t* loop) {
  std::string out;
  uv_walk(
      loop,
      [](uv_handle_t* h, void* arg) {
        auto* s = static_cast<std::string*>(arg);
        if (!s->empty()) s->push_back(' ');
        s->append(uv_handle_type_name(uv_handle_get_type(h)));
        if (uv_is_closing(h)) s->append("(closing)");
        else if (uv_is_active(h)) s->append("(active)");
      },
      &out);
  return out;
}

}  // namespace pushgw::loop
