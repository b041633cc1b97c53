// Web Push SSRF guard on the sender side, and the cache of what it decided.
//
// Each push-service origin is resolved (NameResolver: a bounded resolver of
// its own, apart from libuv's thread pool), every address it resolves to is
// checked, and the pool for that origin is pinned to the checked address, so
// a later DNS answer (rebinding) cannot redirect a connection. IP literals
// are checked without resolving. Jobs wait in the entry while its name
// resolves.
//
// Entries expire: a good answer after positive_ttl_ms (then it is resolved
// again in the background while the old address keeps serving, so a push
// service's new addresses are picked up), a refusal or a failure after the
// short negative_ttl_ms. A temporary DNS failure (EAI_AGAIN, resolver busy)
// is no refusal: the entry is Retry, its jobs go back to the retry queue and
// the name is tried again after negative_ttl_ms. At most max_entries entries
// are kept, the least recently used go first (never one that is resolving),
// so made-up names (wildcard DNS) cannot grow memory without bound.
// Loop thread only.
#pragma once
#include <cstdint>
#include <functional>
#include <list>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "net/name_resolver.h"
#include "obs/log.h"
#include "pushgw/clock.h"
#include "pushgw/job.h"

namespace pushgw::dispatch {

struct OriginCacheOptions {
  int64_t positive_ttl_ms = 300'000;
  int64_t negative_ttl_ms = 5'000;
  size_t max_entries = 4096;
};

class WebPushOrigins {
 public:
  enum class State : uint8_t {
    Resolving,  // jobs park in the entry
    Ready,      // ip is the checked address
    Refused,    // not a public address, or the name does not resolve (for negative_ttl_ms)
    Retry,      // temporary DNS failure: jobs retry later (for negative_ttl_ms)
  };
  struct Entry {
    State state = State::Resolving;
    std::string key;                // "app_id|origin"
    std::string host;
    uint16_t port = 443;
    bool allow_private = false;
    std::string ip;                 // pinned address once Ready
    std::string reason;             // why Refused / Retry
    std::vector<SendJob> parked;    // jobs waiting for resolution
    int64_t expires_ms = 0;         // monotonic; 0: never (IP literals)
    int64_t waiting_since_ms = 0;   // monotonic: when jobs began to wait for this lookup
    uint8_t temp_failures = 0;      // temporary failures in a row (saturates)
    bool refreshing = false;        // Ready, resolving again in the background
  };
  // Called on the loop thread when a Resolving entry settles; the callee
  // takes the parked jobs.
  using Settled = std::function<void(Entry&)>;

  WebPushOrigins(net::NameResolver& resolver, const Clock& clock, OriginCacheOptions o, obs::Logger log,
                 Settled settled);
  ~WebPushOrigins();
  WebPushOrigins(const WebPushOrigins&) = delete;
  WebPushOrigins& operator=(const WebPushOrigins&) = delete;

  // Finds or starts the entry for (app, origin "host:port"); an expired one
  // is resolved again.
  Entry& lookup(uint16_t app_id, std::string_view origin, bool allow_private);
  size_t resolving() const { return resolving_; }  // entries whose jobs wait for a name
  size_t size() const { return lru_.size(); }
  // A job waits in a Resolving entry until it settles.
  void park(Entry& e, const SendJob& job) {
    e.parked.push_back(job);
    ++parked_;
  }
  size_t parked() const { return parked_; }  // jobs parked in all entries
  // Slow (UntrustedBacklog's rule 3): the name failed for now before, or
  // jobs have waited for its answer for grace_ms.
  bool slow(const Entry& e, int64_t grace_ms) const {
    return e.temp_failures > 0 || (e.state == State::Resolving && now_ms() - e.waiting_since_ms >= grace_ms);
  }
  // Shutdown: every job still waiting for a resolution.
  std::vector<SendJob> take_parked();

 private:
  int64_t now_ms() const { return clock_.mono_ns() / 1'000'000; }
  void start(Entry& e);
  void on_lookup(const std::string& key, net::Lookup l);
  void settle(Entry& e, net::Lookup& l, int64_t now);
  void evict();

  net::NameResolver& resolver_;
  const Clock& clock_;
  OriginCacheOptions o_;
  obs::Logger log_;
  Settled settled_;
  std::list<Entry> lru_;  // most recently used first; stable addresses
  std::unordered_map<std::string, std::list<Entry>::iterator> index_;
  std::string key_;       // scratch for lookups
  size_t resolving_ = 0;
  size_t parked_ = 0;     // sum of every entry's parked.size()
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

}  // namespace pushgw::dispatch
