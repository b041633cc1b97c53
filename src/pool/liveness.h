// The PING watchdog of one connection: when a quiet peer is PINGed, and when
// an unanswered PING means it is gone. A busy connection (streams in flight)
// is PINGed sooner (stall_ping_ms): a peer that stopped answering holds its
// streams hostage. Owned by its Connection, on the loop thread.
#pragma once
#include <algorithm>
#include <climits>
#include <cstdint>

#include "pool/pool.h"

namespace pushgw::pool {

class Liveness {
 public:
  explicit Liveness(const PoolOptions& opts) : opts_(opts) {}

  void heard(int64_t now) { last_recv_ = now; }  // bytes arrived
  int64_t last_heard() const { return last_recv_; }
  void busy_from(int64_t now) { busy_since_ = now; }  // the first stream of a busy period started
  // A PING waits for its ACK: the connection takes no new streams meanwhile.
  bool awaiting_ack() const { return ping_deadline_ != 0; }
  void on_ack() {
    ping_deadline_ = 0;
    grace_ = false;
  }

  // From the connection's timer. PINGs a peer quiet for too long (ping()
  // sends one; false: it could not); returns false when the peer is gone: a
  // PING unanswered past its deadline and one more pass of the loop's I/O
  // (if this loop was blocked, a waiting ACK is read before the verdict).
  template <class Ping>
  bool check(int64_t now, bool busy, Ping&& ping) {
    if (ping_deadline_ != 0) {
      if (now < ping_deadline_) return true;
      if (grace_) return false;
      grace_ = true;  // next_due() is now in the past: the timer wakes again in 1 ms, after the poll phase
      return true;
    }
    if (now - quiet_since(busy) >= ping_after_ms(busy) && ping()) {
      ping_deadline_ = now + opts_.ping_timeout_ms;
      grace_ = false;
    }
    return true;
  }

  // When check() has something to do: the ACK's deadline, else (when this
  // protocol PINGs) the next PING. INT64_MAX: never.
  int64_t next_due(bool busy, bool pings) const {
    if (ping_deadline_ != 0) return ping_deadline_;
    return pings ? quiet_since(busy) + ping_after_ms(busy) : INT64_MAX;
  }

 private:
  // When the peer was last heard from, for the PING schedule: its last bytes,
  // or (busy) the start of the current busy period if that is later.
  int64_t quiet_since(bool busy) const { return busy ? std::max(last_recv_, busy_since_) : last_recv_; }
  int ping_after_ms(bool busy) const {
    return busy ? std::min(opts_.stall_ping_ms, opts_.ping_interval_ms) : opts_.ping_interval_ms;
  }

  const PoolOptions& opts_;
  int64_t last_recv_ = 0;      // last time bytes arrived
  int64_t busy_since_ = 0;     // when the first of the in-flight streams started
  int64_t ping_deadline_ = 0;  // 0: no PING outstanding
  bool grace_ = false;         // the deadline passed once: one more I/O pass for a waiting ACK
};

}  // namespace pushgw::pool
