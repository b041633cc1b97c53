// A pool's open connections, oldest first, and the closed ones waiting to be
// deleted from a clean stack (a connection closes from inside its own
// callbacks). Loops run by index: a call into a connection may close it,
// but it leaves the set only through remove(), from the close callback.
#pragma once
#include <uv.h>

#include <functional>
#include <memory>
#include <string_view>
#include <vector>

#include "loop/deferred_delete.h"
#include "pool/connection.h"
#include "pool/wait_queue.h"

namespace pushgw::pool {

class ConnectionSet {
 public:
  explicit ConnectionSet(uv_loop_t* loop) : closed_(loop) {}

  uint32_t next_id() { return next_id_++; }
  Connection& add(std::unique_ptr<Connection> c);
  // Moves a closed connection out; it is deleted on a later loop turn.
  void remove(Connection& c);
  bool empty() const { return conns_.empty(); }

  // Hands waiting requests, in order, to the connections with room.
  void assign(WaitQueue& q, std::string_view default_authority, int64_t now_ms);
  void flush();
  bool any_live() const;
  // Whether a new connection would help: none is handshaking or has room,
  // and fewer than max_connections are live.
  bool wants_another(int max_connections) const;
  void drain(uint32_t id, const char* why);
  void stop_all(bool force, const char* why);  // abort (force) or drain each
  template <class F>
  void each(F&& f) {
    for (size_t i = 0; i < conns_.size(); ++i) f(*conns_[i]);
  }
  void add_stats(PoolStats& s) const;
  // Deletes what remove() left, then calls on_closed (the pool's last step).
  void close(std::function<void()> on_closed) { closed_.close(std::move(on_closed)); }

 private:
  std::vector<std::unique_ptr<Connection>> conns_;
  loop::DeferredDelete closed_;
  uint32_t next_id_ = 1;
};

}  // namespace pushgw::pool
