#include "loop/deferred_delete.h"

namespace pushgw::loop {

DeferredDelete::DeferredDelete(uv_loop_t* loop) : tick_(loop, [this] { run(); }) {}

void DeferredDelete::add(std::unique_ptr<Deletable> obj) {
  pending_.push_back(std::move(obj));
  tick_.schedule();
}

void DeferredDelete::run() {
  // Swap first: destructors may add() (they land in pending_ for the next turn).
  std::vector<std::unique_ptr<Deletable>> batch;
  batch.swap(pending_);
  batch.clear();
}

namespace {

// Owns itself: the tick deletes the object, then closes; the memory goes in
// the tick's close callback (handle_box.h protocol).
struct LaterDelete {
  std::unique_ptr<Deletable> obj;
  std::unique_ptr<NextTick> tick;
};

}  // namespace

void delete_later(uv_loop_t* loop, std::unique_ptr<Deletable> obj) {
  auto* later = new LaterDelete{std::move(obj), nullptr};
  later->tick = std::make_unique<NextTick>(loop, [later] {
    later->obj.reset();
    later->tick->close([later] { delete later; });
  });
  later->tick->schedule();
}

void DeferredDelete::close(std::function<void()> on_closed) {
  while (!pending_.empty()) run();
  tick_.close(std::move(on_closed));
}

}  // namespace pushgw::loop
