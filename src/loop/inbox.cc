#include "loop/inbox.h"

namespace pushgw::loop {

Inbox::Inbox(uv_loop_t* loop) : box_(loop, [](std::vector<Task>& batch) { run(batch); }) {}

void Inbox::run(std::vector<Task>& batch) {
  for (Task& t : batch) {
    if (t.fn) t.fn();
    t.token.reset();  // this operation is over: a drain waiting for it may go on
  }
}

}  // namespace pushgw::loop
