// The streams open on one connection, in start order. Every stream gets the
// same request timeout, so deadlines grow in start order and the head has
// the earliest: the timer is re-armed lazily from it. Owned by its
// Connection, on the loop thread; the slots belong to the pool.
#pragma once
#include <climits>
#include <cstdint>

#include "pool/slot.h"

namespace pushgw::pool {

class OpenStreams {
 public:
  bool empty() const { return list_.empty(); }
  uint32_t size() const { return list_.size(); }

  // Adds s with its deadline; true when it is the first (a busy period begins).
  bool add(Slot& s, int64_t deadline_ms, uint32_t conn_id) {
    const bool first = list_.empty();
    s.deadline_ms = deadline_ms;
    s.conn_id = conn_id;
    s.timed_out = false;
    list_.push_back(&s);
    return first;
  }
  void remove(Slot& s) { list_.remove(&s); }
  Slot* pop_front() { return list_.pop_front(); }

  // Marks the streams past their deadline timed out and calls cancel(s) once
  // for each. cancel may end s (HTTP/1.1) and so unlink it.
  template <class Cancel>
  void expire(int64_t now, Cancel&& cancel) {
    for (Slot* s = list_.front(); s != nullptr && s->deadline_ms <= now;) {
      Slot* next = s->next;
      if (!s->timed_out) {
        s->timed_out = true;
        cancel(*s);
      }
      s = next;
    }
  }

  // The earliest deadline of a stream not timed out yet; INT64_MAX: none.
  int64_t next_deadline() const {
    for (Slot* s = list_.front(); s != nullptr; s = s->next)
      if (!s->timed_out) return s->deadline_ms;
    return INT64_MAX;
  }

 private:
  SlotList list_;
};

}  // namespace pushgw::pool
