// How a producer waits while its outcome ring is full (Store::record() returned
// false). The store thread is then behind by a whole ring (8192 outcomes, tens
// of milliseconds of SQLite work), so spinning on sched_yield() only burns the
// producer's core: measured ~10% of pushgwd's CPU in sched_yield with
// track_sends = true. Yield a few times for a short burst, then sleep with a
// growing interval (50 us .. 1.6 ms), far shorter than the time to drain a ring.
#pragma once
#include <chrono>
#include <thread>

namespace pushgw::store {

struct RingWait {
  int attempt = 0;
  void operator()() {
    if (attempt < 4) {
      std::this_thread::yield();
    } else {
      const int shift = attempt - 4 < 5 ? attempt - 4 : 5;
      std::this_thread::sleep_for(std::chrono::microseconds(50 << shift));  // 50 us .. 1.6 ms
    }
    ++attempt;
  }
};

}  // namespace pushgw::store
