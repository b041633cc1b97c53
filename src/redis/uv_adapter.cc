#include "redis/uv_adapter.h"

#include <hiredis/async.h>

namespace pushgw::redis {
namespace {

struct Events {
  redisAsyncContext* ac = nullptr;  // nullptr once hiredis cleaned up
  uv_poll_t poll{};
  int events = 0;                   // what hiredis currently wants
};

void on_poll(uv_poll_t* handle, int status, int events);

void rearm(Events* e) {
  if (e->events != 0)
    uv_poll_start(&e->poll, e->events, on_poll);
  else
    uv_poll_stop(&e->poll);
}

void on_poll(uv_poll_t* handle, int status, int events) {
  auto* e = static_cast<Events*>(handle->data);
  // On error libuv gives no event bits: let hiredis do what it waits for.
  if (status < 0) events = e->events;
  if (e->ac != nullptr && (events & UV_READABLE)) redisAsyncHandleRead(e->ac);
  if (e->ac != nullptr && (events & UV_WRITABLE)) redisAsyncHandleWrite(e->ac);
  // libuv stopped the watcher on error; if the context survived, watch again.
  if (status < 0 && e->ac != nullptr) rearm(e);
}

void add_read(void* p) {
  auto* e = static_cast<Events*>(p);
  e->events |= UV_READABLE;
  rearm(e);
}

void del_read(void* p) {
  auto* e = static_cast<Events*>(p);
  e->events &= ~UV_READABLE;
  rearm(e);
}

void add_write(void* p) {
  auto* e = static_cast<Events*>(p);
  e->events |= UV_WRITABLE;
  rearm(e);
}

void del_write(void* p) {
  auto* e = static_cast<Events*>(p);
  e->events &= ~UV_WRITABLE;
  rearm(e);
}

// hiredis is freeing the context: the handle's memory lives until libuv's
// close callback.
void cleanup(void* p) {
  auto* e = static_cast<Events*>(p);
  e->ac = nullptr;
  uv_close(reinterpret_cast<uv_handle_t*>(&e->poll),
           [](uv_handle_t* h) { delete static_cast<Events*>(h->data); });
}

}  // namespace

bool attach_to_loop(redisAsyncContext* ac, uv_loop_t* loop) {
  if (ac->ev.data != nullptr || ac->c.fd < 0) return false;
  auto* e = new Events;
  if (uv_poll_init(loop, &e->poll, ac->c.fd) != 0) {
    delete e;
    return false;
  }
  e->ac = ac;
  e->poll.data = e;
  ac->ev.data = e;
  ac->ev.addRead = add_read;
  ac->ev.delRead = del_read;
  ac->ev.addWrite = add_write;
  ac->ev.delWrite = del_write;
  ac->ev.cleanup = cleanup;
  return true;
}

}  // namespace pushgw::redis
