#include "dispatch/fleet.h"

#include <algorithm>

namespace pushgw::dispatch {

namespace {
constexpr size_t kMinRing = 1024;
constexpr size_t kCollect = 256;  // completions popped at a time
}  // namespace

Fleet::Fleet(uv_loop_t* loop, Options opts, Hooks hooks)
    : hooks_(std::move(hooks)), doorbell_(loop, [this] { on_doorbell(); }) {
  // Never the reason the loop runs: the senders ring it only while there is
  // work the loop's other handles keep it alive for (stop() refs it).
  doorbell_.unref();
  // Rings share max_queued between the senders: that bounds queued memory.
  const int workers = std::max(1, opts.workers);
  const size_t per_ring = std::max(kMinRing, opts.max_queued / static_cast<size_t>(workers));
  for (int i = 0; i < workers; ++i) {
    SenderDeps sd = opts.sender;
    sd.index = i;
    sd.threads = workers;
    sd.log = obs::Logger(opts.sender.log.sink(), "sender" + std::to_string(i));
    sd.ring_capacity = per_ring;
    // Each sender's share of max_queued bounds its ring plus every job it
    // holds (in flight, retrying, held, parked): Sender::push refuses past it.
    sd.max_in_flight = std::min(sd.max_in_flight, per_ring);
    sd.notify_ingest = [this] { doorbell_.ring(); };
    senders_.push_back(std::make_unique<Sender>(std::move(sd)));
  }
}

Fleet::~Fleet() {
  for (auto& s : senders_) s->join();
}

void Fleet::start() {
  for (auto& s : senders_) s->start();
}

size_t Fleet::push(int lane, const SendJob* jobs, size_t n) {
  return senders_[static_cast<size_t>(lane)]->inbox().push(jobs, n);
}

void Fleet::wake(int lane) { senders_[static_cast<size_t>(lane)]->inbox().wake(); }

size_t Fleet::load() const {
  size_t n = 0;
  for (const auto& s : senders_) n += s->inbox().load();
  return n;
}

size_t Fleet::share() const {
  size_t n = 0;
  for (const auto& s : senders_) n += s->inbox().share();
  return n;
}

std::vector<BreakerView> Fleet::breakers() const {
  std::vector<BreakerView> out;
  for (const auto& s : senders_)
    for (auto& v : s->breakers()) out.push_back(std::move(v));
  return out;
}

void Fleet::update_apps(const std::shared_ptr<const AppTable>& apps) {
  for (auto& s : senders_) s->update_apps(apps);
}

void Fleet::credentials_changed() {
  for (auto& s : senders_) s->inbox().credentials_changed();
}

void Fleet::stop(int64_t deadline_mono_ns, std::function<void()> on_stopped) {
  if (stopping_) return;
  stopping_ = true;
  on_stopped_ = std::move(on_stopped);
  doorbell_.ref();  // the last rings must be heard
  for (auto& s : senders_) s->inbox().request_stop(deadline_mono_ns);
  on_doorbell();  // nothing started: stopped already
}

bool Fleet::stopped() const {
  return std::all_of(senders_.begin(), senders_.end(), [](const auto& s) { return s->inbox().stopped(); });
}

bool Fleet::test_stall(int64_t index, int64_t ms) {
  if (index < 0 || index >= static_cast<int64_t>(senders_.size())) return false;
  senders_[static_cast<size_t>(index)]->test_stall(static_cast<int>(ms));
  return true;
}

void Fleet::on_doorbell() {
  collect();
  if (hooks_.room) hooks_.room();
  if (!on_stopped_ || !stopped()) return;
  for (auto& s : senders_) s->join();
  collect();  // what the senders handed on while stopping
  doorbell_.unref();
  auto done = std::move(on_stopped_);
  on_stopped_ = nullptr;
  done();
}

void Fleet::collect() {
  Batch* done[kCollect];
  for (auto& s : senders_) {
    size_t n;
    while ((n = s->completions().pop_many(done, kCollect)) > 0)
      for (size_t i = 0; i < n; ++i) hooks_.completed(done[i]);
  }
}

FleetStats Fleet::stats() const {
  FleetStats f;
  f.workers = static_cast<int>(senders_.size());
  for (const auto& s : senders_) {
    const SenderStats& st = s->stats();
    for (int p = 0; p < kPlatformCount; ++p) {
      const PlatformCounters& c = st.platform[p];
      FleetStats::Outcomes& o = f.platform[p];
      o.delivered += c.delivered.load(std::memory_order_relaxed);
      o.failed += c.failed.load(std::memory_order_relaxed);
      o.invalid += c.invalid.load(std::memory_order_relaxed);
      o.unsubscribed += c.unsubscribed.load(std::memory_order_relaxed);
      o.suppressed += c.suppressed.load(std::memory_order_relaxed);
      o.retried += c.retried.load(std::memory_order_relaxed);
      o.capped += c.capped.load(std::memory_order_relaxed);
      o.expired += c.expired.load(std::memory_order_relaxed);
    }
    f.connections += st.connections.load(std::memory_order_relaxed);
    f.streams_in_flight += st.streams_in_flight.load(std::memory_order_relaxed);
    f.webpush_shed += st.webpush_shed.load(std::memory_order_relaxed);
    f.e2e.add(st.e2e_latency);
    f.provider.add(st.provider_latency);
    f.gateway.add(st.gateway_latency);
    f.queue.add(st.queue_latency);
    f.build.add(st.build_latency);
    f.stream_wait.add(st.stream_wait_latency);
  }
  return f;
}

uint64_t Fleet::connections() const {
  uint64_t n = 0;
  for (const auto& s : senders_) n += s->stats().connections.load(std::memory_order_relaxed);
  return n;
}

uint64_t Fleet::streams_in_flight() const {
  uint64_t n = 0;
  for (const auto& s : senders_) n += s->stats().streams_in_flight.load(std::memory_order_relaxed);
  return n;
}

uint64_t Fleet::queued() const {
  uint64_t n = 0;
  for (const auto& s : senders_) n += s->inbox().ring_size() + s->stats().queued.load(std::memory_order_relaxed);
  return n;
}

std::vector<std::pair<std::string, const std::atomic<uint64_t>*>> Fleet::heartbeats() const {
  std::vector<std::pair<std::string, const std::atomic<uint64_t>*>> out;
  for (size_t i = 0; i < senders_.size(); ++i) out.emplace_back("sender" + std::to_string(i), &senders_[i]->stats().loop_turns);
  return out;
}

}  // namespace pushgw::dispatch
