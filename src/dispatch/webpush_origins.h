// Web Push SSRF guard on the sender side: each push-service origin is
// resolved once (uv_getaddrinfo, asynchronous), every address it resolves to
// is checked, and the pool for that origin is pinned to the checked address,
// so a later DNS answer (rebinding) cannot redirect the connection. IP
// literals are checked without resolving. Jobs wait in the entry while its
// name resolves.
#pragma once
#include <uv.h>

#include <functional>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "obs/log.h"
#include "pushgw/job.h"

namespace pushgw::dispatch {

class WebPushOrigins {
 public:
  enum class State : uint8_t { Resolving, Ready, Refused };
  struct Entry {
    State state = State::Resolving;
    std::string host;
    uint16_t port = 443;
    std::string ip;                 // pinned address once Ready
    std::string reason;             // why Refused
    std::vector<SendJob> parked;    // jobs waiting for resolution
  };
  // Called on the loop thread when a Resolving entry settles; the callee
  // takes the parked jobs.
  using Settled = std::function<void(Entry&)>;

  WebPushOrigins(uv_loop_t* loop, obs::Logger log, Settled settled);
  ~WebPushOrigins();

  // Finds or starts the entry for (app, origin "host:port").
  Entry& lookup(uint16_t app_id, std::string_view origin, bool allow_private);
  size_t resolving() const { return resolving_; }
  // Shutdown: every job still waiting for a resolution.
  std::vector<SendJob> take_parked();

 private:
  struct Pending;
  static void on_resolved(uv_getaddrinfo_t* req, int status, struct addrinfo* res);

  uv_loop_t* loop_;
  obs::Logger log_;
  Settled settled_;
  std::unordered_map<std::string, std::unique_ptr<Entry>> entries_;
  size_t resolving_ = 0;
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

}  // namespace pushgw::dispatch
