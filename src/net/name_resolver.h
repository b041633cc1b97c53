// Resolution of names an attacker may choose (Web Push origins), kept apart
// from everything else that resolves.
//
// libuv's thread pool (4 threads by default) runs every uv_getaddrinfo of
// the process, so the provider connections' own lookups (net::Resolver) and
// file work share it. A subscriber can make the daemon resolve any name;
// with slow or hanging DNS for those names it could take all four threads
// and stall APNs/FCM reconnects. So names of Web Push origins go through a
// BoundedResolver instead: a few threads of its own (at most that many
// getaddrinfo calls at once), a bounded queue, and a deadline on the wait in
// the queue. A lookup it cannot take, or that waited too long, fails as a
// temporary failure (like EAI_AGAIN): callers retry later, they do not
// refuse the name.
//
// NameResolver is the seam a sender loop uses (tests inject their own);
// LoopResolver is the production one, delivering a BoundedResolver's
// answers on the loop thread.
#pragma once
#include <sys/socket.h>
#include <uv.h>

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include "loop/mailbox.h"

namespace pushgw::net {

struct Lookup {
  enum class Status : uint8_t {
    Ok,         // addrs holds at least one IPv4/IPv6 address
    Temporary,  // EAI_AGAIN, resolver overloaded, or queued too long: try again later
    Failed,     // the name does not resolve (NXDOMAIN, no address, ...)
  };
  Status status = Status::Failed;
  std::vector<sockaddr_storage> addrs;
  std::string error;  // why, when not Ok
};

// The blocking lookup a BoundedResolver runs on its threads (getaddrinfo
// in production).
using BlockingLookup = std::function<Lookup(const std::string& host)>;
Lookup getaddrinfo_lookup(const std::string& host);

class BoundedResolver {
 public:
  struct Options {
    int threads = 2;                  // getaddrinfo calls at once
    size_t max_queued = 1024;         // lookups waiting for a thread
    int64_t queue_timeout_ms = 5000;  // a lookup that waited longer fails Temporary without running
  };
  explicit BoundedResolver(Options o, BlockingLookup fn = getaddrinfo_lookup);
  // Stops the threads (a getaddrinfo running is waited for); queued lookups
  // are dropped without an answer.
  ~BoundedResolver();
  BoundedResolver(const BoundedResolver&) = delete;
  BoundedResolver& operator=(const BoundedResolver&) = delete;

  // Any thread. done runs on a resolver thread, or inside submit() when the
  // queue is full (Temporary).
  void submit(std::string host, std::function<void(Lookup)> done);
  size_t queued() const;

 private:
  struct Job {
    std::string host;
    std::function<void(Lookup)> done;
    std::chrono::steady_clock::time_point queued_at;
  };
  void run();

  Options o_;
  BlockingLookup fn_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::deque<Job> queue_;  // guarded by mu_
  bool stop_ = false;      // guarded by mu_
  std::vector<std::thread> threads_;
};

// How a sender loop resolves attacker-chosen names.
class NameResolver {
 public:
  using Done = std::function<void(Lookup)>;
  virtual ~NameResolver() = default;
  // done runs later on the loop thread (never inside resolve()), and never
  // after the resolver is destroyed.
  virtual void resolve(const std::string& host, Done done) = 0;
  // Lookups started and not answered yet.
  virtual size_t pending() const = 0;
};

// A BoundedResolver's answers, delivered on one loop. The doorbell does not
// keep the loop alive (a sender's loop ends while a lookup may still run;
// its answer is then dropped).
class LoopResolver final : public NameResolver {
 public:
  LoopResolver(uv_loop_t* loop, std::shared_ptr<BoundedResolver> pool);
  ~LoopResolver() override;

  void resolve(const std::string& host, Done done) override;
  size_t pending() const override { return pending_.size(); }

 private:
  struct Answer {
    uint64_t id = 0;
    Lookup lookup;
  };
  // What the resolver threads post to: cleared (under mu) before the
  // mailbox goes, so no thread posts to a mailbox that is gone.
  struct Inbox {
    std::mutex mu;
    loop::Mailbox<Answer>* box = nullptr;
  };
  void receive(std::vector<Answer>& batch);

  std::shared_ptr<BoundedResolver> pool_;
  std::unordered_map<uint64_t, Done> pending_;
  uint64_t next_id_ = 0;
  loop::Mailbox<Answer> box_;
  std::shared_ptr<Inbox> inbox_ = std::make_shared<Inbox>();
};

}  // namespace pushgw::net
