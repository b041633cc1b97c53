// Keeps every FCM project's OAuth2 access token fresh: one refresh per
// project (never per thread or connection), ahead of expiry, without stalling
// sends (senders keep using the old token until the new one is set). Runs on
// the main loop and does its I/O through a pool to token_uri, which may speak
// HTTP/2 or only HTTP/1.1. Failed fetches back off and are counted.
//
// Lifetime: close(done) at the drain (shuts the pools down); done runs on
// the loop once every handle is closed.
#pragma once
#include <uv.h>

#include <atomic>
#include <functional>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "daemon/apps.h"
#include "loop/timer.h"
#include "obs/log.h"
#include "pool/pool.h"
#include "pushgw/clock.h"

namespace pushgw::provider {
class FcmTokenSource;
}
namespace pushgw::net {
class TlsContext;
}

namespace pushgw::daemon {

class OAuthRefresher final : public pool::PoolListener {
 public:
  OAuthRefresher(uv_loop_t* loop, std::shared_ptr<net::TlsContext> tls, const Clock& clock, obs::Logger log,
                 int connect_timeout_ms, int request_timeout_ms);
  ~OAuthRefresher() override;
  Result<void> add(const FcmCredential& account);
  void start();
  void close(std::function<void()> done);
  // Runs on the loop after each new token is set: the senders then send
  // what they parked for it at once instead of at their next look.
  void on_token(std::function<void()> f) { on_token_ = std::move(f); }

  uint64_t fetches() const { return fetches_.load(std::memory_order_relaxed); }
  uint64_t failures() const { return failures_.load(std::memory_order_relaxed); }

  void on_complete(void* user, HttpRequest& req, HttpResponse& resp, pool::TransportError err,
                   uint32_t conn_id) override;

 private:
  struct Entry;
  void tick();
  void fetch(Entry& e);

  uv_loop_t* loop_;
  std::shared_ptr<net::TlsContext> tls_;
  const Clock& clock_;
  obs::Logger log_;
  int connect_timeout_ms_, request_timeout_ms_;
  std::vector<std::unique_ptr<Entry>> entries_;
  loop::Timer timer_;  // the refresh tick
  std::function<void()> on_token_;
  std::mt19937_64 rng_{std::random_device{}()};
  std::atomic<uint64_t> fetches_{0}, failures_{0};
};

}  // namespace pushgw::daemon
