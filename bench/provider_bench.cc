// Provider hot paths: request build per recipient and response
// classification. "allocs/op" counts global operator new calls per iteration
// (the providers are meant to reach 0 for APNs/FCM builds once warm); memory
// OpenSSL takes with its own malloc is not counted.
#include <benchmark/benchmark.h>

#include <atomic>
#include <cstdlib>
#include <new>

#include "crypto/apns_token.h"
#include "crypto/ece.h"
#include "crypto/keys.h"
#include "provider/apns/apns_provider.h"
#include "provider/fcm/fcm_provider.h"
#include "provider/webpush/webpush_provider.h"

namespace {
std::atomic<uint64_t> g_allocs{0};
}  // namespace

// noinline: GCC otherwise sees free() on memory from the (replaced) operator
// new after inlining and warns about a mismatch that is not one.
__attribute__((noinline)) void* operator new(std::size_t n) {
  g_allocs.fetch_add(1, std::memory_order_relaxed);
  if (void* p = std::malloc(n == 0 ? 1 : n)) return p;
  throw std::bad_alloc();
}
__attribute__((noinline)) void operator delete(void* p) noexcept { std::free(p); }
__attribute__((noinline)) void operator delete(void* p, std::size_t) noexcept { std::free(p); }

namespace pushgw::provider {
namespace {

constexpr int64_t kNow = 1'700'000'000'000;

// Reports allocations per iteration; call after the timed loop.
struct AllocCounter {
  uint64_t start = g_allocs.load();
  void report(benchmark::State& st) {
    st.counters["allocs/op"] = benchmark::Counter(static_cast<double>(g_allocs.load() - start),
                                                  benchmark::Counter::kAvgIterations);
  }
};

// Gives recipient idx a run holding one var (Batch::vars).
void set_var(Batch& b, uint32_t idx, std::string_view name, std::string_view value) {
  Recipient& r = b.recipients[idx];
  r.vars_off = static_cast<uint32_t>(b.vars.size());
  b.vars.emplace_back().len = 1;  // the run's header
  VarValue& v = b.vars.emplace_back();
  v.slot = static_cast<uint16_t>(b.vars_table.find(name));
  v.kind = VarValue::String;
  v.off = static_cast<uint32_t>(b.arena.size());
  v.len = static_cast<uint32_t>(value.size());
  b.arena.append(value);
}

std::unique_ptr<Batch> make_batch(Platform p, std::string_view tmpl, Template::Mode mode,
                                  std::string_view target, std::string_view keys = {}) {
  auto b = std::make_unique<Batch>();
  b->platform = p;
  b->tmpl = std::move(Template::compile(tmpl, mode, b->vars_table).value());
  Recipient r;
  r.token_off = 0;
  r.token_len = static_cast<uint32_t>(target.size());
  b->arena.append(target);
  r.keys_off = static_cast<uint32_t>(b->arena.size());
  b->arena.append(keys);
  b->recipients.push_back(r);
  set_var(*b, 0, "name", "Aiko");
  return b;
}

constexpr std::string_view kApnsPayload =
    R"({"aps":{"alert":{"title":"Hi {{name}}","body":"20% off today, only in the app"},"sound":"default"},)"
    R"("campaign":"spring-sale"})";
constexpr std::string_view kFcmMessage =
    R"({"notification":{"title":"Hi {{name}}","body":"20% off today, only in the app"},)"
    R"("data":{"sku":"123","campaign":"spring-sale"},"android":{"priority":"high"}})";
constexpr std::string_view kWebPayload = R"({"title":"Hi {{name}}","url":"https://shop.example/sale"})";

// The APNs provider every APNs benchmark uses, with a fresh signing key.
ApnsSettings apns_settings() {
  auto src = std::make_shared<crypto::ApnsTokenSource>(crypto::generate_p256().value(), "TEAM123456",
                                                       "KEY1234567");
  return ApnsSettings{"api.push.apple.com:443", "com.example.shop", src};
}

// APNs's answer to a delivered notification.
HttpResponse apns_200() {
  HttpResponse r;
  r.status = 200;
  r.add_header("apns-id", "0a1b2c3d-4e5f-6a7b-8c9d-0e1f2a3b4c5d");
  return r;
}

void BM_ApnsBuild(benchmark::State& st) {
  ApnsProvider p(apns_settings());
  auto b = make_batch(Platform::Apns, kApnsPayload, Template::Mode::Json, std::string(64, 'a'));
  b->apns.push_type = "alert";
  b->apns.priority = 10;
  b->apns.collapse_id = "sale";
  p.begin_drain(kNow);
  HttpRequest req;
  (void)p.build(*b, 0, kNow, req);  // warm the request's buffers
  AllocCounter a;
  for (auto _ : st) {
    req.clear();
    benchmark::DoNotOptimize(p.build(*b, 0, kNow, req).ok());
  }
  a.report(st);
}
BENCHMARK(BM_ApnsBuild);

void BM_FcmBuild(benchmark::State& st) {
  auto tokens = std::make_shared<FcmTokenSource>();
  tokens->set("ya29.c.b0AaekmEXAMPLEaccesstoken", kNow + 3'600'000, kNow);
  FcmProvider p(FcmSettings{"fcm.googleapis.com:443", "my-proj-123", tokens});
  auto b = make_batch(Platform::Fcm, kFcmMessage, Template::Mode::Json,
                      "cYd3kOaPQxWp7P0mG4ZyQ2:APA91bHZ1eMExAmPlEtOkEnThAtIsLonGeRThAnSiXtyFouRChArActErSlong");
  p.begin_drain(kNow);
  HttpRequest req;
  (void)p.build(*b, 0, kNow, req);
  AllocCounter a;
  for (auto _ : st) {
    req.clear();
    benchmark::DoNotOptimize(p.build(*b, 0, kNow, req).ok());
  }
  a.report(st);
}
BENCHMARK(BM_FcmBuild);

void BM_ClassifyApns200(benchmark::State& st) {
  ApnsProvider p(apns_settings());
  const HttpResponse r = apns_200();
  AllocCounter a;
  for (auto _ : st) benchmark::DoNotOptimize(p.classify(r, kNow));
  a.report(st);
}
BENCHMARK(BM_ClassifyApns200);

// The sender's loop: one Verdict kept across responses; the first call
// (outside the count) gives its strings their capacity.
void run_classify_into(benchmark::State& st, const Provider& p, const HttpResponse& r) {
  Verdict v;
  p.classify_into(r, kNow, v);
  AllocCounter a;
  for (auto _ : st) {
    p.classify_into(r, kNow, v);
    benchmark::DoNotOptimize(v);
  }
  a.report(st);
}

// The sender's path: into a Verdict it keeps (Provider::classify_into).
void BM_ClassifyIntoApns200(benchmark::State& st) {
  ApnsProvider p(apns_settings());
  const HttpResponse r = apns_200();
  run_classify_into(st, p, r);
}
BENCHMARK(BM_ClassifyIntoApns200);

constexpr std::string_view kFcmUnregistered =
    R"({"error":{"code":404,"message":"Requested entity was not found.","status":"NOT_FOUND","details":[)"
    R"({"@type":"type.googleapis.com/google.firebase.fcm.v1.FcmError","errorCode":"UNREGISTERED"}]}})";

void BM_ClassifyFcmError(benchmark::State& st) {
  FcmProvider p(FcmSettings{"fcm.googleapis.com:443", "p", std::make_shared<FcmTokenSource>()});
  HttpResponse r;
  r.status = 404;
  r.body.assign(kFcmUnregistered);
  (void)p.classify(r, kNow);
  AllocCounter a;
  for (auto _ : st) benchmark::DoNotOptimize(p.classify(r, kNow));
  a.report(st);
}
BENCHMARK(BM_ClassifyFcmError);

void BM_ClassifyFcm200(benchmark::State& st) {
  FcmProvider p(FcmSettings{"fcm.googleapis.com:443", "p", std::make_shared<FcmTokenSource>()});
  HttpResponse r;
  r.status = 200;
  r.body.assign(R"({"name":"projects/my-proj-123/messages/0:1500415314455276%31bd1c9631bd1c96"})");
  (void)p.classify(r, kNow);
  AllocCounter a;
  for (auto _ : st) benchmark::DoNotOptimize(p.classify(r, kNow));
  a.report(st);
}
BENCHMARK(BM_ClassifyFcm200);

// The sender's path (Provider::classify_into): the message name reuses the
// kept Verdict's capacity.
void BM_ClassifyIntoFcm200(benchmark::State& st) {
  FcmProvider p(FcmSettings{"fcm.googleapis.com:443", "p", std::make_shared<FcmTokenSource>()});
  HttpResponse r;
  r.status = 200;
  r.body.assign(R"({"name":"projects/my-proj-123/messages/0:1500415314455276%31bd1c9631bd1c96"})");
  run_classify_into(st, p, r);
}
BENCHMARK(BM_ClassifyIntoFcm200);

struct WebPushSetup {
  crypto::EvpPkeyPtr ua = crypto::generate_p256().value();
  std::string p256dh = crypto::p256_public_uncompressed(ua.get()).value();
  std::string auth = crypto::random_bytes(16).value();
  std::string plaintext = R"({"title":"Hi Aiko","url":"https://shop.example/sale"})";
};

void BM_WebPushBuild(benchmark::State& st) {
  WebPushSetup s;
  auto vapid = crypto::generate_p256().value();
  auto p = WebPushProvider::create({crypto::private_key_to_pem(vapid.get()), "mailto:ops@example.com"}).value();
  auto b = make_batch(Platform::WebPush, kWebPayload, Template::Mode::Json,
                      "https://fcm.googleapis.com/fcm/send/dGVzdC1zdWJzY3JpcHRpb24tZW5kcG9pbnQtaWQ",
                      s.p256dh + s.auth);
  b->webpush.urgency = "normal";
  HttpRequest req;
  (void)p->build(*b, 0, kNow, req);
  AllocCounter a;
  for (auto _ : st) {
    req.clear();
    benchmark::DoNotOptimize(p->build(*b, 0, kNow, req).ok());
  }
  a.report(st);
}
BENCHMARK(BM_WebPushBuild);

// The floor under BM_WebPushBuild: encryption with an already imported key.
void BM_WebPushEncryptOnly(benchmark::State& st) {
  WebPushSetup s;
  auto ece = crypto::EceEncryptor::create().value();
  auto ua_pub = crypto::p256_from_public_uncompressed(s.p256dh).value();
  std::string out;
  AllocCounter a;
  for (auto _ : st) benchmark::DoNotOptimize(ece.encrypt(s.plaintext, ua_pub.get(), s.p256dh, s.auth, out).ok());
  a.report(st);
}
BENCHMARK(BM_WebPushEncryptOnly);

// What build pays per message to turn the stored 65 bytes into an EVP_PKEY
// through the crypto API (import + quick check).
void BM_P256ImportValidating(benchmark::State& st) {
  WebPushSetup s;
  AllocCounter a;
  for (auto _ : st) benchmark::DoNotOptimize(crypto::p256_from_public_uncompressed(s.p256dh).ok());
  a.report(st);
}
BENCHMARK(BM_P256ImportValidating);

}  // namespace
}  // namespace pushgw::provider
