#include "sender_rig.h"

#include <arpa/inet.h>

#include <charconv>

namespace pushgw::dispatch::testing {
namespace {

int64_t header_int(const HttpResponse& r, std::string_view name, int64_t dflt) {
  const std::string_view v = r.header(name);
  int64_t out = dflt;
  if (!v.empty()) std::from_chars(v.data(), v.data() + v.size(), out);
  return out;
}

}  // namespace

net::Lookup public_address() {
  net::Lookup l;
  l.status = net::Lookup::Status::Ok;
  sockaddr_storage ss{};
  auto* in = reinterpret_cast<sockaddr_in*>(&ss);
  in->sin_family = AF_INET;
  in->sin_addr.s_addr = htonl(0x5DB8D822);  // 93.184.216.34
  l.addrs.push_back(ss);
  return l;
}

net::Lookup temporary_failure() {
  net::Lookup l;
  l.status = net::Lookup::Status::Temporary;
  l.error = "Temporary failure in name resolution";
  return l;
}

Verdict FakeProvider::classify(const HttpResponse& resp, int64_t) const {
  Verdict v;
  v.http_status = resp.status;
  v.close_connection = !resp.header("x-close").empty();
  switch (resp.status) {
    case 200:
      v.kind = VerdictKind::Delivered;
      v.id = std::string(resp.header("x-id"));
      return v;
    case 400:
      v.kind = VerdictKind::Invalid;
      v.reason = "BadDeviceToken";
      return v;
    case 410:
      v.kind = VerdictKind::Unsubscribed;
      v.reason = "Unregistered";
      v.since_ms = header_int(resp, "x-since", 0);
      return v;
    case 403:
      if (!resp.header("x-refresh").empty()) {
        v.kind = VerdictKind::Retry;
        v.reason = "ExpiredProviderToken";
        v.refresh_credential = true;
        return v;
      }
      v.kind = VerdictKind::Failed;
      v.reason = "Forbidden";
      return v;
    case 429:
    case 500:
    case 503:
      v.kind = VerdictKind::Retry;
      v.reason = resp.status == 429 ? "TooManyRequests" : resp.status == 500 ? "InternalServerError" : "ServiceUnavailable";
      v.retry_after_ms = header_int(resp, "retry-after", -1);
      if (v.retry_after_ms > 0) v.retry_after_ms *= 1000;
      return v;
    default:
      v.kind = VerdictKind::Failed;
      v.reason = std::to_string(resp.status);
      return v;
  }
}

SenderRig::SenderRig() {
  deps.index = 0;
  deps.threads = 1;
  deps.clock = &clock;
  deps.log = obs::Logger(std::make_shared<obs::LogSink>(obs::Level::Error), "sender");
  deps.ring_capacity = 4096;
  deps.max_in_flight = 1024;
  deps.random = [] { return kAlmostOne; };
  deps.notify_ingest = [this] { ++notifies; };
  deps.pools = [this](uv_loop_t* loop, pool::PoolOptions o, pool::PoolListener& l, obs::Logger) {
    {
      std::lock_guard<std::mutex> g(pools_mu);
      pools_made.push_back(o);
    }
    return std::make_unique<FakePool>(loop, std::move(o), l, wire);
  };
  add_app(Platform::Apns, "canary", "canary.test:443");
}

SenderRig::~SenderRig() {
  if (sender && !stopped_) stop(0);
  sender.reset();
  for (Batch* b : completed_) delete b;
}

uint16_t SenderRig::add_app(Platform p, const std::string& name, const std::string& origin, bool allow_private) {
  AppRuntime a;
  a.app_id = static_cast<uint16_t>(apps_->size());
  a.platform = p;
  a.name = name;
  a.connections = 1;
  a.allow_private_endpoints = allow_private;
  auto shared = std::make_shared<FakeProvider::Shared>();
  shared_.push_back(shared);
  a.make_provider = [p, origin, shared] { return std::make_unique<FakeProvider>(p, origin, shared); };
  apps_->push_back(std::move(a));
  return static_cast<uint16_t>(apps_->size() - 1);
}

void SenderRig::create() {
  deps.apps = apps_;
  sender = std::make_unique<Sender>(deps);
}

void SenderRig::start() {
  if (!sender) create();
  sender->start();
}

Batch* SenderRig::send(uint16_t app_id, const std::vector<std::string>& tokens, const BatchOptions& o) {
  Batch* b = make(app_id, tokens, o);
  EXPECT_EQ(offer(b), tokens.size());
  return b;
}

size_t SenderRig::offer(Batch* b, size_t from) {
  std::vector<SendJob> jobs;
  for (uint32_t i = static_cast<uint32_t>(from); i < b->recipients.size(); ++i) jobs.push_back(SendJob{b, i, 0, 0});
  const size_t n = sender->inbox().push(jobs.data(), jobs.size());
  sender->inbox().wake();
  return n;
}

Batch* SenderRig::make(uint16_t app_id, const std::vector<std::string>& tokens, const BatchOptions& o) {
  auto* b = new Batch();
  b->platform = (*apps_)[app_id].platform;
  b->app_id = app_id;
  b->request_id = next_request_++;
  b->wait = true;
  b->accepted_ms = clock.now_ms();
  b->accepted_mono_ns = clock.mono_ns();
  if (o.expires_in_ms != 0) b->expires_at_ms = clock.now_ms() + o.expires_in_ms;
  b->campaign = o.campaign;
  b->marketing = o.marketing;
  b->cap_override = o.cap_override;
  b->journaled = o.journaled;
  for (const std::string& t : tokens) {
    Recipient r;
    r.token_off = static_cast<uint32_t>(b->arena.size());
    r.token_len = static_cast<uint32_t>(t.size());
    r.registered_at_ms = o.registered_at_ms;
    b->arena += t;
    b->recipients.push_back(r);
  }
  b->results.resize(tokens.size());
  b->pending.store(static_cast<uint32_t>(tokens.size()));
  b->once = o.once;
  return b;
}

void SenderRig::collect() {
  Batch* done[64];
  size_t n;
  while ((n = sender->completions().pop_many(done, 64)) > 0) completed_.insert(done, done + n);
}

bool SenderRig::is_done(Batch* b) {
  collect();
  return completed_.count(b) > 0;
}

bool SenderRig::done(Batch* b) {
  return eventually([&] { return is_done(b); });
}

void SenderRig::barrier() {
  Batch* b = send(0, {"canary"});
  ASSERT_TRUE(done(b)) << "the canary did not come back";
}

void SenderRig::stop(int64_t deadline_in_ms) {
  stopped_ = true;
  sender->inbox().request_stop(clock.mono_ns() + deadline_in_ms * 1'000'000);
  ASSERT_TRUE(eventually([&] { return sender->inbox().stopped(); })) << "the sender did not stop";
  sender->join();
  collect();
}

}  // namespace pushgw::dispatch::testing
