// Requests waiting for a stream, in submission order (a request that could
// not start goes back to the front). Each has a queue deadline
// (Slot::queue_deadline_ms): past it, it completes with QueueTimeout without
// ever being sent, so a peer that never frees a stream cannot hold requests
// forever.
#pragma once
#include <cstdint>

#include "pool/slot.h"

namespace pushgw::pool {

class WaitQueue {
 public:
  bool empty() const { return list_.empty(); }
  uint32_t size() const { return list_.size(); }
  Slot* front() const { return list_.front(); }
  void push_back(Slot* s) { list_.push_back(s); }
  void push_front(Slot* s) { list_.push_front(s); }
  Slot* pop_front() { return list_.pop_front(); }

  // Moves requests past their deadline to done (QueueTimeout); returns the
  // earliest deadline left (INT64_MAX when none).
  int64_t expire(int64_t now_ms, SlotList& done);
  // Moves every request to done with error e.
  void fail_all(TransportError e, SlotList& done);

 private:
  SlotList list_;
};

}  // namespace pushgw::pool
