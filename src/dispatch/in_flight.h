// Requests a sender has handed to a pool and not yet seen completed. The
// records are recycled (a free list over a slab), so a send allocates
// nothing once the window has been full once. Loop thread only.
#pragma once
#include <cstdint>
#include <memory>
#include <vector>

#include "pushgw/http.h"
#include "pushgw/job.h"

namespace pushgw::pool {
class Pool;
}

namespace pushgw::dispatch {

class OriginGuard;

struct InFlight {
  SendJob job;
  int64_t submit_ns = 0;
  int64_t held_ns = 0;  // waited in its pool's backlog for streams before submit_ns (SendPass::held_ns)
  pool::Pool* pool = nullptr;
  OriginGuard* guard = nullptr;  // the pool's circuit breaker
  bool probe = false;            // this request is the breaker's half-open probe
  uint64_t key = 0;              // Store::key() of the token, 0 = not computed (outcome_sink.h)
  HttpRequest req;
  HttpResponse resp;
};

class InFlightSlab {
 public:
  InFlight* acquire() {
    ++used_;
    if (free_.empty()) {
      slab_.push_back(std::make_unique<InFlight>());
      return slab_.back().get();
    }
    InFlight* f = free_.back();
    free_.pop_back();
    return f;
  }
  // The response's buffers are trimmed when an answer made them large, so
  // the slab's memory stays near the size of ordinary answers.
  static constexpr size_t kKeepResponseBytes = 4096;
  static constexpr size_t kKeepResponseHeaders = 16;
  void release(InFlight* f) {
    f->resp.clear_and_trim(kKeepResponseBytes, kKeepResponseHeaders);
    --used_;
    free_.push_back(f);
  }
  size_t size() const { return used_; }  // acquired and not released

 private:
  std::vector<std::unique_ptr<InFlight>> slab_;
  std::vector<InFlight*> free_;
  size_t used_ = 0;
};

}  // namespace pushgw::dispatch
