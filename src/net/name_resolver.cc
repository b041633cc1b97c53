#include "net/name_resolver.h"

#include <netdb.h>

#include <algorithm>
#include <chrono>
#include <cstring>

namespace pushgw::net {

Lookup getaddrinfo_lookup(const std::string& host) {
  Lookup out;
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_protocol = IPPROTO_TCP;
  addrinfo* res = nullptr;
  const int rc = getaddrinfo(host.c_str(), nullptr, &hints, &res);
  if (rc != 0) {
    out.status = rc == EAI_AGAIN ? Lookup::Status::Temporary : Lookup::Status::Failed;
    out.error = gai_strerror(rc);
    return out;
  }
  for (const addrinfo* a = res; a != nullptr; a = a->ai_next) {
    if (a->ai_family != AF_INET && a->ai_family != AF_INET6) continue;
    sockaddr_storage ss{};
    memcpy(&ss, a->ai_addr, a->ai_addrlen);
    out.addrs.push_back(ss);
  }
  freeaddrinfo(res);
  if (out.addrs.empty()) out.error = "no address";
  else out.status = Lookup::Status::Ok;
  return out;
}

BoundedResolver::BoundedResolver(Options o, BlockingLookup fn) : o_(o), fn_(std::move(fn)) {
  const int n = std::max(1, o_.threads);
  for (int i = 0; i < n; ++i) threads_.emplace_back([this] { run(); });
}

BoundedResolver::~BoundedResolver() {
  {
    std::lock_guard<std::mutex> g(mu_);
    stop_ = true;
    queue_.clear();
  }
  cv_.notify_all();
  for (auto& t : threads_) t.join();
}

void BoundedResolver::submit(std::string host, std::function<void(Lookup)> done) {
  {
    std::lock_guard<std::mutex> g(mu_);
    if (!stop_ && queue_.size() < o_.max_queued) {
      queue_.push_back(Job{std::move(host), std::move(done), std::chrono::steady_clock::now()});
      cv_.notify_one();
      return;
    }
  }
  Lookup l;
  l.status = Lookup::Status::Temporary;
  l.error = "resolver busy";
  done(std::move(l));
}

size_t BoundedResolver::queued() const {
  std::lock_guard<std::mutex> g(mu_);
  return queue_.size();
}

void BoundedResolver::run() {
  for (;;) {
    Job job;
    {
      std::unique_lock<std::mutex> lk(mu_);
      cv_.wait(lk, [this] { return stop_ || !queue_.empty(); });
      if (stop_) return;
      job = std::move(queue_.front());
      queue_.pop_front();
    }
    const auto waited = std::chrono::steady_clock::now() - job.queued_at;
    if (waited > std::chrono::milliseconds(o_.queue_timeout_ms)) {
      Lookup l;
      l.status = Lookup::Status::Temporary;
      l.error = "resolver queue timeout";
      job.done(std::move(l));
      continue;
    }
    job.done(fn_(job.host));
  }
}

LoopResolver::LoopResolver(uv_loop_t* loop, std::shared_ptr<BoundedResolver> pool)
    : pool_(std::move(pool)), box_(loop, [this](std::vector<Answer>& batch) { receive(batch); }) {
  box_.unref();
  inbox_->box = &box_;
}

LoopResolver::~LoopResolver() {
  std::lock_guard<std::mutex> g(inbox_->mu);
  inbox_->box = nullptr;
}

void LoopResolver::resolve(const std::string& host, Done done) {
  const uint64_t id = ++next_id_;
  pending_.emplace(id, std::move(done));
  pool_->submit(host, [inbox = inbox_, id](Lookup l) {
    std::lock_guard<std::mutex> g(inbox->mu);
    if (inbox->box != nullptr) inbox->box->post(Answer{id, std::move(l)});
  });
}

void LoopResolver::receive(std::vector<Answer>& batch) {
  for (Answer& a : batch) {
    auto it = pending_.find(a.id);
    if (it == pending_.end()) continue;
    Done done = std::move(it->second);
    pending_.erase(it);
    done(std::move(a.lookup));
  }
}

}  // namespace pushgw::net
