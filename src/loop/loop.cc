#include "loop/loop.h"

namespace pushgw::loop {

int run_and_close(uv_loop_t* loop) {
  uv_run(loop, UV_RUN_DEFAULT);
  return uv_loop_close(loop);
}

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
