#include "redis/uv_adapter.h"

#include <hiredis/async.h>

#include <memory>

#include "loop/poll.h"

namespace pushgw::redis {
namespace {

struct Events {
  redisAsyncContext* ac = nullptr;  // nullptr once hiredis cleaned up
  std::unique_ptr<loop::Poll> poll;
  int events = 0;                   // what hiredis currently wants
  std::function<void()> after_read;
};

void on_poll(Events* e, int status, int events) {
  // On error libuv gives no event bits: let hiredis do what it waits for.
  if (status < 0) events = e->events;
  if (e->ac != nullptr && (events & UV_READABLE)) {
    redisAsyncHandleRead(e->ac);
    if (e->ac != nullptr && e->after_read) e->after_read();
  }
  if (e->ac != nullptr && (events & UV_WRITABLE)) redisAsyncHandleWrite(e->ac);
  // libuv stopped the watcher on error; if the context survived, watch again.
  if (status < 0 && e->ac != nullptr) e->poll->watch(e->events);
}

void set_events(void* p, int add, int remove) {
  auto* e = static_cast<Events*>(p);
  e->events = (e->events | add) & ~remove;
  e->poll->watch(e->events);
}

void add_read(void* p) { set_events(p, UV_READABLE, 0); }
void del_read(void* p) { set_events(p, 0, UV_READABLE); }
void add_write(void* p) { set_events(p, UV_WRITABLE, 0); }
void del_write(void* p) { set_events(p, 0, UV_WRITABLE); }

// hiredis is freeing the context, possibly from inside on_poll: the Events
// go once the poll handle's memory is released (loop/poll.h), when nothing
// of them can still be on the stack.
void cleanup(void* p) {
  auto* e = static_cast<Events*>(p);
  e->ac = nullptr;
  e->poll->close([e] { delete e; });
}

}  // namespace

bool attach_to_loop(redisAsyncContext* ac, uv_loop_t* loop, std::function<void()> after_read) {
  if (ac->ev.data != nullptr || ac->c.fd < 0) return false;
  auto e = std::make_unique<Events>();
  Events* raw = e.get();
  e->poll = std::make_unique<loop::Poll>(loop, ac->c.fd, [raw](int status, int events) { on_poll(raw, status, events); });
  if (!e->poll->ok()) return false;
  e->ac = ac;
  e->after_read = std::move(after_read);
  ac->ev.data = e.release();
  ac->ev.addRead = add_read;
  ac->ev.delRead = del_read;
  ac->ev.addWrite = add_write;
  ac->ev.delWrite = del_write;
  ac->ev.cleanup = cleanup;
  return true;
}

}  // namespace pushgw::redis
