// Ingest hot path: one request line -> parsed, validated, expanded Batches.
// Reports bytes/s of request JSON and items/s = recipients/s.
#include <benchmark/benchmark.h>

#include <string>
#include <vector>

#include "ingest/line_framer.h"
#include "ingest/request_parser.h"
#include "ingest/send.h"

namespace {

using namespace pushgw;
using namespace pushgw::ingest;

class Apps : public AppDirectory {
 public:
  const AppInfo* find(Platform p, std::string_view) const override {
    return p == Platform::Apns ? &apns_ : p == Platform::Fcm ? &fcm_ : &web_;
  }

 private:
  AppInfo apns_{0, Platform::Apns, "shop-ios", false};
  AppInfo fcm_{1, Platform::Fcm, "shop-android", false};
  AppInfo web_{2, Platform::WebPush, "shop-web", false};
};

std::string hex_token(int i) {
  static const char* kHex = "0123456789abcdef";
  std::string t(64, '0');
  unsigned v = static_cast<unsigned>(i) * 2654435761u;
  for (int k = 0; k < 64; ++k) t[k] = kHex[(v >> ((k % 8) * 4)) & 15];
  return t;
}

std::string apns_request(int recipients, bool vars) {
  std::string s = R"({"op":"send","id":"bench-1","campaign":"spring","notifications":[{"platform":"apns",)"
                  R"("app":"shop-ios","push_type":"alert","priority":10,"collapse_id":"sale","tokens":[)";
  for (int i = 0; i < recipients; ++i) {
    if (i) s += ',';
    if (vars)
      s += R"({"token":")" + hex_token(i) + R"(","vars":{"name":"Aiko )" + std::to_string(i) +
           R"(","points":)" + std::to_string(i * 7) + "}}";
    else
      s += '"' + hex_token(i) + '"';
  }
  s += R"(],"payload":{"aps":{"alert":{"title":"Hi {{name|there}}","body":"20% off today, {{points}} points"},)"
       R"("sound":"default"},"sku":"123"}}]})";
  return s;
}

void run_parse_send(benchmark::State& state, const std::string& line, int recipients) {
  RequestParser parser;
  Apps apps;
  for (auto _ : state) {
    if (!parser.parse(line).ok()) state.SkipWithError("parse failed");
    auto r = parse_send(parser.root(), apps, 1'700'000'000'000);
    if (!r.ok() || r->accepted != static_cast<uint32_t>(recipients)) state.SkipWithError("not accepted");
    benchmark::DoNotOptimize(r);
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations()) * static_cast<int64_t>(line.size()));
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations()) * recipients);
}

void BM_ParseSend_Apns(benchmark::State& state) {
  int n = static_cast<int>(state.range(0));
  bool vars = state.range(1) != 0;
  run_parse_send(state, apns_request(n, vars), n);
}
BENCHMARK(BM_ParseSend_Apns)->ArgNames({"recipients", "vars"})->Args({1000, 0})->Args({1000, 1})->Args({10, 0});

void BM_ParseSend_Fcm(benchmark::State& state) {
  std::string s = R"({"op":"send","notifications":[{"platform":"fcm","app":"a","tokens":[)";
  for (int i = 0; i < 1000; ++i) s += (i ? ",\"" : "\"") + std::string("fcm:") + hex_token(i) + hex_token(i + 1) + '"';
  s += R"(],"message":{"notification":{"title":"Hi","body":"20% off"},"data":{"sku":"123"}}}]})";
  run_parse_send(state, s, 1000);
}
BENCHMARK(BM_ParseSend_Fcm);

// Web Push costs a P-256 point check per subscription.
void BM_ParseSend_WebPush(benchmark::State& state) {
  std::string s = R"({"op":"send","notifications":[{"platform":"webpush","app":"w","subscriptions":[)";
  for (int i = 0; i < 100; ++i)
    s += std::string(i ? "," : "") + R"({"endpoint":"https://push.example.net/wp/)" + hex_token(i) +
         R"(","keys":{"p256dh":"BCVxsr7N_eNgVRqvHtD0zTZsEc6-VV-JvLexhqUzORcxaOzi6-AYWXvTBHm4bjyPjs7Vd8pZGH6SRpkNtoIAiw4",)"
         R"("auth":"BTBZMqHH6r4Tts7J_aSIgg"}})";
  s += R"(],"payload":{"title":"Hi"}}]})";
  run_parse_send(state, s, 100);
}
BENCHMARK(BM_ParseSend_WebPush);

// Framing many small lines delivered in 64 KiB reads.
void BM_LineFramer(benchmark::State& state) {
  std::string data;
  while (data.size() < (1 << 20)) data += R"({"op":"stats","id":"x"})" "\n";
  size_t lines = 0;
  for (auto _ : state) {
    LineFramer f(1 << 24);
    for (size_t off = 0; off < data.size(); off += 65536) {
      size_t n = std::min<size_t>(65536, data.size() - off);
      f.feed(data.data() + off, n, [&](std::string_view l) { lines += l.size() != 0; }, [] {});
    }
  }
  benchmark::DoNotOptimize(lines);
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations()) * static_cast<int64_t>(data.size()));
}
BENCHMARK(BM_LineFramer);

}  // namespace
