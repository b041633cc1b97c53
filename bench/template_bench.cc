// Per-recipient rendering: literal segments + escaped values into a reused
// buffer. Arg = number of placeholders.
#include <benchmark/benchmark.h>

#include <string>
#include <vector>

#include "base/json_escape.h"
#include "pushgw/template.h"

namespace {

using namespace pushgw;

void BM_Render(benchmark::State& state) {
  const int nvars = static_cast<int>(state.range(0));
  std::string text = R"({"aps":{"alert":{"title":"Spring sale","body":"Everything 20% off today only)";
  for (int i = 0; i < nvars; ++i) text += ", {{v" + std::to_string(i) + "}}";
  text += R"("},"sound":"default","badge":1},"sku":"123","url":"https://shop.example/sale"})";
  VarTable vt;
  Template t = std::move(Template::compile(text, Template::Mode::Json, vt).value());
  std::string arena;
  std::vector<VarValue> values(vt.size());
  for (uint32_t s = 0; s < vt.size(); ++s) {
    std::string v = (s % 2) ? "12345" : "Aiko \"the\" customer";
    values[s] = VarValue{.kind = static_cast<uint8_t>((s % 2) ? VarValue::Literal : VarValue::String),
                         .slot = static_cast<uint16_t>(s), .off = static_cast<uint32_t>(arena.size()),
                         .len = static_cast<uint32_t>(v.size())};
    arena += v;
  }
  VarView view{values.data(), static_cast<uint32_t>(values.size()), arena.data()};
  std::string out;
  size_t bytes = 0;
  for (auto _ : state) {
    out.clear();
    t.render(view, out);
    bytes += out.size();
    benchmark::DoNotOptimize(out.data());
  }
  state.SetBytesProcessed(static_cast<int64_t>(bytes));
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations()));
}
BENCHMARK(BM_Render)->ArgName("vars")->Arg(0)->Arg(2)->Arg(8);

void BM_Compile(benchmark::State& state) {
  std::string text = R"({"aps":{"alert":{"title":"Hi {{name|there}}","body":"{{points}} points, {{tier}}"}},"k":"v"})";
  for (auto _ : state) {
    VarTable vt;
    auto t = Template::compile(text, Template::Mode::Json, vt);
    benchmark::DoNotOptimize(t);
  }
}
BENCHMARK(BM_Compile);

void BM_JsonEscape(benchmark::State& state) {
  std::string in(1000, 'a');
  for (size_t i = 0; i < in.size(); i += 50) in[i] = '"';
  std::string out;
  for (auto _ : state) {
    out.clear();
    base::json_escape_append(in, out);
    benchmark::DoNotOptimize(out.data());
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations()) * 1000);
}
BENCHMARK(BM_JsonEscape);

}  // namespace
