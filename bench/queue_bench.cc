// SpscRing hand-off between two threads (ingest -> sender), the queue under
// every recipient.
//
//   BM_SpscPushPop/B   items/s moved from a producer thread to a consumer
//                      thread with push_many/pop_many batches of B (1 = the
//                      single-item push/pop path). On a shared 2-core VM the
//                      two threads compete with everything else: compare
//                      runs, not absolute figures.
#include <benchmark/benchmark.h>

#include <algorithm>
#include <cstdint>
#include <thread>
#include <vector>

#include "queue/spsc_ring.h"

namespace {

struct Item {  // the size of a queued recipient reference
  uint64_t a, b;
};

void BM_SpscPushPop(benchmark::State& state) {
  const size_t batch = static_cast<size_t>(state.range(0));
  constexpr size_t kPerIter = 1 << 20;
  pushgw::queue::SpscRing<Item> ring(1 << 14);
  uint64_t moved = 0;
  for (auto _ : state) {
    uint64_t sum = 0;
    std::thread consumer([&] {
      std::vector<Item> out(batch);
      size_t got = 0;
      while (got < kPerIter) {
        size_t k = batch == 1 ? (ring.pop(out[0]) ? 1 : 0) : ring.pop_many(out.data(), batch);
        for (size_t i = 0; i < k; ++i) sum += out[i].a;
        got += k;
      }
    });
    std::vector<Item> in(batch);
    size_t sent = 0;
    while (sent < kPerIter) {
      const size_t want = std::min(batch, kPerIter - sent);
      for (size_t i = 0; i < want; ++i) in[i] = Item{sent + i, 0};
      size_t k = batch == 1 ? (ring.push(in[0]) ? 1 : 0) : ring.push_many(in.data(), want);
      sent += k;
    }
    consumer.join();
    benchmark::DoNotOptimize(sum);
    moved += kPerIter;
  }
  state.SetItemsProcessed(static_cast<int64_t>(moved));
}
BENCHMARK(BM_SpscPushPop)->Arg(1)->Arg(64)->Arg(512)->UseRealTime()->Unit(benchmark::kMillisecond);

}  // namespace
