#include "store/outage.h"

#include <algorithm>

#include "store/writer.h"

namespace pushgw::store::detail {

std::chrono::milliseconds WriteOutage::failed() {
  counters_.write_errors.fetch_add(1, std::memory_order_relaxed);
  int64_t healthy = 0;
  counters_.failing_since_ms.compare_exchange_strong(healthy, clock_.now_ms(), std::memory_order_relaxed);
  backoff_ = std::min(kMaxBackoff, std::max(std::chrono::milliseconds(100), backoff_ * 2));
  blocked_until_ = std::chrono::steady_clock::now() + backoff_;
  return backoff_;
}

void WriteOutage::ended() {
  backoff_ = std::chrono::milliseconds(0);
  counters_.failing_since_ms.store(0, std::memory_order_relaxed);
}

void WriteOutage::answered() { counters_.failing_since_ms.store(0, std::memory_order_relaxed); }

}  // namespace pushgw::store::detail
