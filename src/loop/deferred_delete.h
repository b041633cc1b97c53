// Deletes objects on the next loop turn instead of inside their own callback.
//
// add() takes ownership; the object is destroyed from a clean stack on the
// next turn. Destructors may add() more objects; they go on the following turn.
// Closing (or destroying) the DeferredDelete deletes whatever is pending now.
#pragma once
#include <uv.h>

#include <functional>
#include <memory>
#include <vector>

#include "loop/next_tick.h"

namespace pushgw::loop {

class Deletable {
 public:
  virtual ~Deletable() = default;
};

// Deletes obj on the next loop turn, from a clean stack, without an owner
// to keep alive meanwhile: for objects that retire from inside their own
// callbacks and whose owner may be gone by the next turn (a connection of a
// server that is being destroyed). Loop thread only.
void delete_later(uv_loop_t* loop, std::unique_ptr<Deletable> obj);

class DeferredDelete {
 public:
  explicit DeferredDelete(uv_loop_t* loop);
  ~DeferredDelete() { close(); }
  DeferredDelete(const DeferredDelete&) = delete;
  DeferredDelete& operator=(const DeferredDelete&) = delete;

  void add(std::unique_ptr<Deletable> obj);
  size_t pending() const { return pending_.size(); }
  void close(std::function<void()> on_closed = {});

 private:
  void run();

  std::vector<std::unique_ptr<Deletable>> pending_;
  NextTick tick_;
};

}  // namespace pushgw::loop
