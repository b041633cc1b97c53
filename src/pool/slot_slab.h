// The pool's slots: made on demand, never freed while the pool lives, and
// recycled through a freelist, so steady-state traffic allocates nothing.
#pragma once
#include <memory>
#include <vector>

#include "pool/slot.h"

namespace pushgw::pool {

class SlotSlab {
 public:
  // A clean slot for req/resp/user, due to wait in the queue until
  // queue_deadline_ms at most.
  Slot* acquire(HttpRequest* req, HttpResponse* resp, void* user, int64_t queue_deadline_ms) {
    Slot* s;
    if (free_.empty()) {
      s = slab_.emplace_back(std::make_unique<Slot>()).get();
    } else {
      s = free_.back();
      free_.pop_back();
    }
    s->req = req;
    s->resp = resp;
    s->user = user;
    s->conn_id = 0;
    s->err = TransportError::None;
    s->timed_out = false;
    s->reset_codec_state();
    s->queue_deadline_ms = queue_deadline_ms;
    return s;
  }

  void release(Slot* s) {
    s->req = nullptr;
    s->resp = nullptr;
    s->user = nullptr;
    free_.push_back(s);
  }

 private:
  std::vector<std::unique_ptr<Slot>> slab_;
  std::vector<Slot*> free_;
};

}  // namespace pushgw::pool
