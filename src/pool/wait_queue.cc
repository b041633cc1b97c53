#include "pool/wait_queue.h"

#include <algorithm>

namespace pushgw::pool {

int64_t WaitQueue::expire(int64_t now_ms, SlotList& done) {
  int64_t next = INT64_MAX;
  for (Slot* s = list_.front(); s != nullptr;) {
    Slot* after = s->next;
    if (s->queue_deadline_ms <= now_ms) {
      list_.remove(s);
      s->err = TransportError::QueueTimeout;
      done.push_back(s);
    } else {
      next = std::min(next, s->queue_deadline_ms);
    }
    s = after;
  }
  return next;
}

void WaitQueue::fail_all(TransportError e, SlotList& done) {
  while (Slot* s = list_.pop_front()) {
    s->err = e;
    done.push_back(s);
  }
}

}  // namespace pushgw::pool
