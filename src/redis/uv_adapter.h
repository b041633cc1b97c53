// hiredis async contexts on a libuv loop.
//
// Why not hiredis's own adapters/libuv.h: in the Debian 12 version (0.14.1)
// its poll callback returns on a non-zero status. libuv reports EPOLLERR (a
// refused connect, a reset connection) exactly that way, and stops the
// watcher, so the context would wait forever. Here such an event is handed
// to hiredis as readable/writable: its own connect check or read() then sees
// the error and disconnects the context (newer hiredis does the same).
#pragma once
#include <uv.h>

#include <functional>

struct redisAsyncContext;

namespace pushgw::redis {

// Hooks ac's events into loop. Returns false when it cannot (the caller then
// frees the context). hiredis's cleanup hook closes the poll handle when the
// context is freed. after_read (may be empty) runs after each read hiredis
// handled while the context lives: the owner checks what the reader holds
// there, and may free the context.
bool attach_to_loop(redisAsyncContext* ac, uv_loop_t* loop, std::function<void()> after_read);

}  // namespace pushgw::redis
