// Store hot paths.
//
//   BM_StoreRecordCommit   verdicts/s the store thread sustains: one producer
//                          records N outcomes, then waits for after_commit.
//                          Sends (deliveries) are summed in memory and
//                          written every send_flush_ms (send_tally.h); the
//                          CPU counters include a last flush after the loop,
//                          so they hold the whole cost of per-token tracking.
//   BM_StoreFreshTokens    the same for deliveries to tokens never seen.
//   BM_SendTally/N         the store thread's part per send before the flush:
//                          fold N sends to distinct tokens into the tally,
//                          then order them for the flush (ns per send).
//   BM_SuppressionCheck    ns per suppressed() check (hash + lookup) with 1M
//                          suppressed tokens, hit and miss; counter
//                          bytes_per_entry = suppression memory / entries.
//   BM_KeyHash             the hashing part alone, by token length.
//   BM_StoreDbSize/N       DB file size for N token states (200k, 1M), also
//                          per 1M. Slow (minutes on a small VM): registered
//                          only when the command line names it, e.g.
//                          --benchmark_filter=DbSize (or DbSize/1000000).
//   BM_PgStoreRecordCommit, BM_PgStoreFreshTokens
//                          the same two write loops on the PostgreSQL backend.
//                          Registered only when PUSHGW_BENCH_PG_DSN names a
//                          server (key=value DSN of a role that may CREATE
//                          DATABASE); each run uses a new database, dropped
//                          afterwards. A throwaway server on loopback:
//                            python3 tests/integration/pg_rig.py --fsync
//                          prints such a DSN (see docs/performance.md).
//
// Files go to $TMPDIR (default /tmp); fsync cost depends on that filesystem.
#include <benchmark/benchmark.h>
#include <libpq-fe.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <future>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "obs/log.h"
#include "pushgw/clock.h"
#include "store/engines/open.h"
#include "store/key_hash.h"
#include "store/store.h"
#include "store/send_tally.h"
#include "store/suppression.h"

namespace {

using namespace pushgw;
using namespace pushgw::store;

class BenchDir {
 public:
  BenchDir() {
    std::string tmpl = (std::filesystem::temp_directory_path() / "pushgw-store-bench-XXXXXX").string();
    if (::mkdtemp(tmpl.data())) path_ = tmpl;
  }
  ~BenchDir() {
    std::error_code ec;
    if (!path_.empty()) std::filesystem::remove_all(path_, ec);
  }
  std::string file(const std::string& n) const { return path_ + "/" + n; }

 private:
  std::string path_;
};

std::string hex_token(uint64_t i) {
  static const char* digits = "0123456789abcdef";
  std::string t(64, '0');
  for (int k = 63; k >= 0 && i; --k, i >>= 4) t[static_cast<size_t>(k)] = digits[i & 15];
  return t;
}

std::unique_ptr<Store> open_store(const store::StoreConfig& cfg, const Clock& clock, benchmark::State& state) {
  auto r = store::open_store(cfg, 1, clock, obs::Logger(std::make_shared<obs::LogSink>(obs::Level::Error), "store"));
  if (!r) {
    state.SkipWithError(r.error().message.c_str());
    return nullptr;
  }
  return std::move(r.value());
}

std::unique_ptr<Store> open_store(const std::string& path, const Clock& clock, benchmark::State& state) {
  store::StoreConfig cfg;
  cfg.path = path;
  return open_store(cfg, clock, state);
}

// A database of its own on the PUSHGW_BENCH_PG_DSN server for one run,
// dropped when done: the benchmark never touches existing data.
class PgBenchDb {
 public:
  explicit PgBenchDb(const char* dsn) : server_(dsn) {
    const auto now = std::chrono::steady_clock::now().time_since_epoch().count();
    name_ = "pushgw_bench_" + std::to_string(::getpid()) + "_" + std::to_string(now);
    error_ = admin("CREATE DATABASE " + name_);
  }
  ~PgBenchDb() {
    if (error_.empty()) (void)admin("DROP DATABASE IF EXISTS " + name_ + " WITH (FORCE)");
  }
  const std::string& error() const { return error_; }
  // Later keywords win in a key=value DSN.
  std::string dsn() const { return server_ + " dbname=" + name_; }

 private:
  std::string admin(const std::string& sql) const {
    PGconn* c = PQconnectdb(server_.c_str());
    std::string err;
    if (PQstatus(c) != CONNECTION_OK) {
      err = PQerrorMessage(c);
    } else {
      PGresult* r = PQexec(c, sql.c_str());
      if (PQresultStatus(r) != PGRES_COMMAND_OK) err = PQresultErrorMessage(r);
      PQclear(r);
    }
    PQfinish(c);
    return err;
  }
  std::string server_, name_, error_;
};

void wait_commit(Store& s) {
  auto p = std::make_shared<std::promise<void>>();  // shared: the store thread may still hold it
  auto f = p->get_future();
  s.after_commit([p] { p->set_value(); });
  f.wait();
}

// Writes the summed per-token send counters now (they otherwise go every
// send_flush_ms): the benchmarks' CPU counters then include that write.
void flush_sends(Store& s) {
  auto p = std::make_shared<std::promise<void>>();
  auto f = p->get_future();
  s.flush_sends([p](Result<void>) { p->set_value(); });
  f.wait();
}

double process_cpu_s() {
  struct rusage ru {};
  getrusage(RUSAGE_SELF, &ru);
  return static_cast<double>(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
         static_cast<double>(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

double thread_cpu_s() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) / 1e9;
}

Outcome make(Kind kind, std::string_view token) {
  Outcome o;
  o.platform = Platform::Apns;
  o.app = "shop-ios";
  o.token = token;
  o.campaign = "bench";
  o.kind = kind;
  o.reason = kind == Kind::Unsubscribed ? "Unregistered" : "";
  return o;
}

// Arg: outcomes per iteration. 1% are unsubscribe verdicts (first time: a
// transition and an event), the rest deliveries; 200k distinct tokens, so
// after the first pass most outcomes update an existing row.
void record_commit(benchmark::State& state, Store* store) {
  if (!store) return;
  store->start();
  const uint64_t n = static_cast<uint64_t>(state.range(0));
  constexpr uint64_t kTokens = 200000;
  std::vector<std::string> tokens;
  tokens.reserve(kTokens);
  for (uint64_t i = 0; i < kTokens; ++i) tokens.push_back(hex_token(i * 2654435761u));
  uint64_t next = 0;
  const double cpu0 = process_cpu_s(), self0 = thread_cpu_s();
  for (auto _ : state) {
    for (uint64_t i = 0; i < n; ++i, ++next) {
      Outcome o = make(next % 100 == 0 ? Kind::Unsubscribed : Kind::Delivered, tokens[next % kTokens]);
      while (!store->record(0, o)) std::this_thread::yield();
    }
    wait_commit(*store);
  }
  flush_sends(*store);
  const double cpu = process_cpu_s() - cpu0;
  const double store_cpu = cpu - (thread_cpu_s() - self0);  // all but this (producer) thread
  StoreStats st = store->stats();
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations()) * static_cast<int64_t>(n));
  // CPU of the whole process (producer + store thread) per outcome: less
  // sensitive to a busy machine than items/s.
  const double outcomes = static_cast<double>(state.iterations() * n);
  state.counters["cpu_us_per_outcome"] = cpu * 1e6 / outcomes;
  // The store thread alone: its CPU-bound ceiling is 1e6 / this outcomes/s.
  state.counters["store_cpu_us_per_outcome"] = store_cpu * 1e6 / outcomes;
  state.counters["transactions"] = static_cast<double>(st.transactions);
  state.counters["outcomes_per_txn"] =
      st.transactions ? static_cast<double>(st.committed_outcomes) / static_cast<double>(st.transactions) : 0;
  state.counters["barriers"] = static_cast<double>(st.barriers);
  state.counters["send_flushes"] = static_cast<double>(st.send_flushes);
}

void BM_StoreRecordCommit(benchmark::State& state) {
  BenchDir dir;
  SystemClock clock;
  auto store = open_store(dir.file("pushgw.db"), clock, state);
  record_commit(state, store.get());
}
// 1000 per after_commit: what many small wait:true requests cost (a full sync each).
BENCHMARK(BM_StoreRecordCommit)->Arg(100000)->Arg(1000)->Unit(benchmark::kMillisecond)->UseRealTime();

// Every outcome a delivery to a token never seen before (a first campaign to
// a fresh audience, and what pushgw-bench does with track_sends = true):
// each one inserts a row.
void fresh_tokens(benchmark::State& state, Store* store) {
  if (!store) return;
  store->start();
  const uint64_t n = static_cast<uint64_t>(state.range(0));
  uint64_t next = 1;
  const double cpu0 = process_cpu_s(), self0 = thread_cpu_s();
  for (auto _ : state) {
    for (uint64_t i = 0; i < n; ++i, ++next) {
      const std::string token = hex_token(next * 0x9E3779B97F4A7C15ULL);
      Outcome o = make(Kind::Delivered, token);
      while (!store->record(0, o)) std::this_thread::yield();
    }
    wait_commit(*store);
  }
  flush_sends(*store);
  const double cpu = process_cpu_s() - cpu0;
  const double store_cpu = cpu - (thread_cpu_s() - self0);
  const double outcomes = static_cast<double>(state.iterations() * n);
  state.SetItemsProcessed(static_cast<int64_t>(outcomes));
  state.counters["store_cpu_us_per_outcome"] = store_cpu * 1e6 / outcomes;
}

// Second arg: [store] send_log. 1: the flush appends to the send log and
// the final flush_sends() compacts it into the rows, so the counters hold the
// whole cost (pushgwd defers the compaction to idle time; send_log.h).
void BM_StoreFreshTokens(benchmark::State& state) {
  BenchDir dir;
  SystemClock clock;
  store::StoreConfig cfg;
  cfg.path = dir.file("pushgw.db");
  cfg.send_log = state.range(1) != 0;
  auto store = open_store(cfg, clock, state);
  fresh_tokens(state, store.get());
}
BENCHMARK(BM_StoreFreshTokens)->Args({100000, 0})->Args({100000, 1})->Unit(benchmark::kMillisecond)->UseRealTime();

void BM_SendTally(benchmark::State& state) {
  const size_t n = static_cast<size_t>(state.range(0));
  std::vector<std::string> tokens;
  for (size_t i = 0; i < n; ++i) tokens.push_back(hex_token((i + 1) * 0x9E3779B97F4A7C15ULL));
  detail::SendTally tally(n);
  RecordView r;
  r.app = "shop-ios";
  r.kind = Kind::Delivered;
  r.at_ms = 1'700'000'000'000;
  size_t rows = 0;
  for (auto _ : state) {
    for (const std::string& t : tokens) {
      r.token = t;
      tally.add(r);
    }
    rows += tally.ordered().size();
    tally.clear();
  }
  if (rows != n * state.iterations()) state.SkipWithError("tally lost sends");
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * n));
  state.counters["bytes_per_token"] = static_cast<double>(tally.memory_bytes()) / static_cast<double>(n);
}
BENCHMARK(BM_SendTally)->Arg(10000)->Arg(131072)->Unit(benchmark::kMillisecond);

// Built once: 1M suppressed APNs tokens, as Store::open() loads them.
struct SuppressionFixture {
  static constexpr uint64_t kEntries = 1'000'000;
  SuppressionSet set{kEntries};
  std::vector<std::string> present, absent;
  SuppressionFixture() {
    present.reserve(kEntries);
    absent.reserve(kEntries);
    for (uint64_t i = 0; i < kEntries; ++i) {
      present.push_back(hex_token(i * 0x9E3779B97F4A7C15ULL));
      absent.push_back(hex_token(i * 0x9E3779B97F4A7C15ULL + 1));
      set.put(key_hash(HashKey{1, 2}, Platform::Apns, "shop-ios", present.back()), 1'700'000'000'000);
    }
  }
  static SuppressionFixture& get() {
    static SuppressionFixture f;
    return f;
  }
};

// What Store::suppressed() does: hash (platform, app, token), probe, compare.
void BM_SuppressionCheck(benchmark::State& state) {
  SuppressionFixture& f = SuppressionFixture::get();
  const bool hit = state.range(0) == 1;
  const auto& tokens = hit ? f.present : f.absent;
  size_t i = 0, found = 0;
  for (auto _ : state) {
    int64_t since = 0;
    bool s = f.set.find(key_hash(HashKey{1, 2}, Platform::Apns, "shop-ios", tokens[i]), &since);
    found += s;
    benchmark::DoNotOptimize(since);
    if (++i == tokens.size()) i = 0;
  }
  if ((found > 0) != hit) state.SkipWithError("lookup result does not match the fixture");
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations()));
  state.SetLabel(hit ? "hit" : "miss");
  if (state.thread_index() != 0) return;  // counters are summed over threads: report once
  state.counters["entries"] = static_cast<double>(f.set.entries());
  state.counters["bytes_per_entry"] =
      static_cast<double>(f.set.memory_bytes()) / static_cast<double>(f.set.entries());
  state.counters["load_factor"] = static_cast<double>(f.set.entries()) / static_cast<double>(f.set.capacity());
}
BENCHMARK(BM_SuppressionCheck)->Arg(1)->Arg(0);

// Same, with 4 threads reading at once (no lock, no shared writes but the
// per-thread reader counters).
BENCHMARK(BM_SuppressionCheck)->Arg(1)->Threads(4)->UseRealTime();

// The CPU floor of a check: 1000 entries (table and tokens in cache), hits.
void BM_SuppressionCheckInCache(benchmark::State& state) {
  SuppressionSet set(1000);
  std::vector<std::string> tokens;
  for (uint64_t i = 0; i < 1000; ++i) {
    tokens.push_back(hex_token(i * 0x9E3779B97F4A7C15ULL));
    set.put(key_hash(HashKey{1, 2}, Platform::Apns, "shop-ios", tokens.back()), 1);
  }
  size_t i = 0;
  for (auto _ : state) {
    benchmark::DoNotOptimize(set.find(key_hash(HashKey{1, 2}, Platform::Apns, "shop-ios", tokens[i]), nullptr));
    if (++i == tokens.size()) i = 0;
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations()));
}
BENCHMARK(BM_SuppressionCheckInCache);

void BM_KeyHash(benchmark::State& state) {
  std::string token(static_cast<size_t>(state.range(0)), 'a');
  for (auto _ : state) {
    token[0] = static_cast<char>(token[0] + 1);
    benchmark::DoNotOptimize(key_hash(HashKey{1, 2}, Platform::Apns, "shop-ios", token));
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations()));
}
BENCHMARK(BM_KeyHash)->Arg(64)->Arg(163)->Arg(1000);

uint64_t file_size(const std::string& p) {
  struct stat st {};
  return ::stat(p.c_str(), &st) == 0 ? static_cast<uint64_t>(st.st_size) : 0;
}

// 1M distinct APNs tokens, one delivery each; 2% then get an unsubscribe
// verdict (token row update + event). Size measured after close (WAL folded
// into the main file) and the time to reopen (counts + suppression load).
void BM_StoreDbSize(benchmark::State& state) {
  const uint64_t kTokens = static_cast<uint64_t>(state.range(0));
  for (auto _ : state) {
    BenchDir dir;
    const std::string path = dir.file("pushgw.db");
    SystemClock clock;
    auto t0 = std::chrono::steady_clock::now();
    {
      auto store = open_store(path, clock, state);
      if (!store) return;
      store->start();
      for (uint64_t i = 0; i < kTokens; ++i) {
        std::string t = hex_token(i * 0x9E3779B97F4A7C15ULL);
        Outcome o = make(Kind::Delivered, t);
        while (!store->record(0, o)) std::this_thread::yield();
        if (i % 50 == 0) {
          Outcome u = make(Kind::Unsubscribed, t);
          while (!store->record(0, u)) std::this_thread::yield();
        }
      }
      wait_commit(*store);
    }
    double write_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    const uint64_t bytes = file_size(path) + file_size(path + "-wal");
    auto t1 = std::chrono::steady_clock::now();
    auto reopened = open_store(path, clock, state);
    double open_ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t1).count();
    if (!reopened) return;
    state.counters["db_bytes"] = static_cast<double>(bytes);
    state.counters["bytes_per_token"] = static_cast<double>(bytes) / static_cast<double>(kTokens);
    state.counters["bytes_per_1M_tokens"] = static_cast<double>(bytes) * 1e6 / static_cast<double>(kTokens);
    state.counters["inserts_per_s"] = static_cast<double>(kTokens) / write_s;
    state.counters["write_s"] = write_s;
    state.counters["reopen_ms"] = open_ms;
    const store::StoreStats ss = reopened->stats();
    state.counters["suppressed"] = static_cast<double>(ss.suppressed_entries);
    state.counters["suppression_bytes_per_entry"] =
        ss.suppressed_entries == 0 ? 0.0
                                   : static_cast<double>(ss.suppression_bytes) / static_cast<double>(ss.suppressed_entries);
  }
}

bool command_line_names(const char* what) {
  std::ifstream in("/proc/self/cmdline", std::ios::binary);
  std::string arg;
  while (std::getline(in, arg, '\0'))
    if (arg.rfind("--benchmark_filter=", 0) == 0 && arg.find(what) != std::string::npos) return true;
  return false;
}

// The PostgreSQL backend: the same loops, through a database of their own.
void pg_case(benchmark::State& state, void (*body)(benchmark::State&, Store*)) {
  PgBenchDb db(getenv("PUSHGW_BENCH_PG_DSN"));
  if (!db.error().empty()) {
    state.SkipWithError(("PUSHGW_BENCH_PG_DSN: " + db.error()).c_str());
    return;
  }
  store::StoreConfig cfg;
  cfg.backend = store::StoreBackend::Postgres;
  cfg.dsn = db.dsn();
  SystemClock clock;
  auto store = open_store(cfg, clock, state);
  body(state, store.get());
}

const bool kPgRegistered = [] {
  const char* dsn = getenv("PUSHGW_BENCH_PG_DSN");
  if (dsn == nullptr || *dsn == '\0') return false;
  benchmark::RegisterBenchmark("BM_PgStoreRecordCommit", [](benchmark::State& s) { pg_case(s, record_commit); })
      ->Arg(100000)
      ->Arg(1000)
      ->Unit(benchmark::kMillisecond)
      ->UseRealTime();
  benchmark::RegisterBenchmark("BM_PgStoreFreshTokens", [](benchmark::State& s) { pg_case(s, fresh_tokens); })
      ->Arg(100000)
      ->Unit(benchmark::kMillisecond)
      ->UseRealTime();
  return true;
}();

// Registered at start-up only when asked for by name: never part of a plain run.
const bool kDbSizeRegistered = [] {
  if (!command_line_names("DbSize")) return false;
  benchmark::RegisterBenchmark("BM_StoreDbSize", BM_StoreDbSize)
      ->Arg(200'000)
      ->Arg(1'000'000)
      ->Iterations(1)
      ->Unit(benchmark::kSecond)
      ->UseRealTime();
  return true;
}();

}  // namespace
