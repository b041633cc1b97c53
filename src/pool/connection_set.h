// A pool's open connections, oldest first, and the closed ones waiting to be
// deleted from a clean stack (a connection closes from inside its own
// callbacks). Loops run by index: a call into a connection may close it,
// but it leaves the set only through remove(), from the close callback.
#pragma once
#include <uv.h>

#include <algorithm>
#include <climits>
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
  void assign(WaitQueue& q, std::string_view default_authority, int64_t now_ns);
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
  // Ready connections whose peer allows no stream (and that have none in
  // flight) are useless while requests wait. Calls expired(c) for each that
  // has been so for timeout_ms; returns when the next one will have been
  // (INT64_MAX: none).
  template <class F>
  int64_t police_no_streams(int64_t now, int timeout_ms, F* expired) {
    int64_t next = INT64_MAX;
    for (size_t i = 0; i < conns_.size(); ++i) {
      Connection& c = *conns_[i];
      const int64_t since = c.no_streams_since(now);
      if (since == 0) continue;
      if (expired == nullptr || now - since < timeout_ms) next = std::min(next, since + timeout_ms);
      else (*expired)(c);
    }
    return next;
  }
  // The same without closing any: when the first one reaches timeout_ms.
  int64_t no_streams_due(int64_t now, int timeout_ms) {
    return police_no_streams<void(Connection&)>(now, timeout_ms, nullptr);
  }
  // Deletes what remove() left, then calls on_closed (the pool's last step).
  void close(std::function<void()> on_closed) { closed_.close(std::move(on_closed)); }

 private:
  std::vector<std::unique_ptr<Connection>> conns_;
  loop::DeferredDelete closed_;
  uint32_t next_id_ = 1;
};

}  // namespace pushgw::pool
