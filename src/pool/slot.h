// Per-request bookkeeping inside the pool, and the intrusive list that moves
// it between the pool queue, a connection's in-flight list and the
// completion list. A Slot is in at most one list at a time; slots are
// recycled through a freelist, so steady-state traffic allocates nothing here.
#pragma once
#include <cstdint>

#include "h2/codec.h"
#include "pool/pool.h"

namespace pushgw::pool {

struct Slot : h2::Stream {
  void* user = nullptr;
  Slot* prev = nullptr;
  Slot* next = nullptr;
  int64_t deadline_ms = 0;  // request timeout (monotonic ms), set when the stream starts
  int64_t queue_deadline_ms = 0;  // while queued: fails with QueueTimeout past this (monotonic ms)
  uint32_t conn_id = 0;
  TransportError err = TransportError::None;
  bool timed_out = false;
};

class SlotList {
 public:
  bool empty() const { return head_ == nullptr; }
  uint32_t size() const { return size_; }
  Slot* front() const { return head_; }

  void push_back(Slot* s) {
    s->next = nullptr;
    s->prev = tail_;
    if (tail_ != nullptr) tail_->next = s;
    else head_ = s;
    tail_ = s;
    ++size_;
  }
  void push_front(Slot* s) {
    s->prev = nullptr;
    s->next = head_;
    if (head_ != nullptr) head_->prev = s;
    else tail_ = s;
    head_ = s;
    ++size_;
  }
  void remove(Slot* s) {
    if (s->prev != nullptr) s->prev->next = s->next;
    else head_ = s->next;
    if (s->next != nullptr) s->next->prev = s->prev;
    else tail_ = s->prev;
    s->prev = s->next = nullptr;
    --size_;
  }
  Slot* pop_front() {
    Slot* s = head_;
    if (s != nullptr) remove(s);
    return s;
  }
  // Moves every slot of other to the end of this list.
  void splice_back(SlotList& other) {
    while (Slot* s = other.pop_front()) push_back(s);
  }

 private:
  Slot* head_ = nullptr;
  Slot* tail_ = nullptr;
  uint32_t size_ = 0;
};

}  // namespace pushgw::pool
