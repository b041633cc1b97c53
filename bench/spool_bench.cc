// CPU cost of the durable spool per notification, and the same work done
// with SQLite (WAL) for comparison (why the spool is a hand-written journal).
//
// One iteration = one accepted request of kRecipients APNs recipients: the
// request line is journaled (as ingest does) and every recipient is marked
// done in ranges of kChunk (as senders do: jobs travel in chunks of 256 and
// finish mostly in order, so a loop turn coalesces them into few ranges).
// Process CPU time is measured (the writer thread included); items/s are
// notifications. Run: build/bench/spool_bench --benchmark_counters_tabular=true
#include <benchmark/benchmark.h>
#include <sqlite3.h>
#include <unistd.h>

#include <atomic>
#include <condition_variable>
#include <mutex>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <thread>

#include "spool/spool.h"

namespace {

namespace fs = std::filesystem;
using pushgw::spool::BatchCount;
using pushgw::spool::DoneRange;
using pushgw::spool::FsyncMode;
using pushgw::spool::Spool;

constexpr uint32_t kChunk = 256;

std::string make_line(uint32_t recipients) {
  std::string s = R"({"op":"send","id":"b-1","notifications":[{"platform":"apns","app":"shop-ios","tokens":[)";
  for (uint32_t i = 0; i < recipients; ++i) {
    if (i) s.push_back(',');
    char tok[67];
    snprintf(tok, sizeof tok, "\"%064x\"", i * 2654435761u);
    s += tok;
  }
  s += R"(],"payload":{"aps":{"alert":{"title":"Hi","body":"20% off today"}}}}]})";
  return s;
}

struct TempDir {
  std::string path;
  TempDir() {
    std::string t = (fs::temp_directory_path() / "pushgw-spool-bench-XXXXXX").string();
    if (!mkdtemp(t.data())) std::abort();
    path = t;
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path, ec);
  }
};

// range_len: recipients per done range (kChunk = coalesced, 1 = worst case).
// One iteration journals kGroup requests the way ingest does (append, then
// the senders' done ranges) and waits until all of them are committed, so
// the writer thread's work (encoding, CRC, write, fdatasync) is inside the
// measured time.
constexpr int kGroup = 32;

void run_spool(benchmark::State& state, FsyncMode mode, uint32_t range_len) {
  const auto recipients = static_cast<uint32_t>(state.range(0));
  const std::string line = make_line(recipients);
  TempDir tmp;
  pushgw::spool::Options o;
  o.dir = tmp.path;
  o.fsync = mode;
  auto opened = Spool::open(o, pushgw::obs::Logger());
  if (!opened.ok()) {
    state.SkipWithError(opened.error().message.c_str());
    return;
  }
  std::unique_ptr<Spool> spool = std::move(opened.value());
  spool->start();
  // The producer sleeps (not spins) while the group commits: only real work
  // shows up as CPU time.
  std::mutex mu;
  std::condition_variable cv;
  uint64_t committed = 0;
  uint64_t appended = 0;
  auto on_commit = [&](bool) {
    std::lock_guard<std::mutex> g(mu);
    if (++committed == appended) cv.notify_one();
  };
  std::vector<DoneRange> ranges;
  for (auto _ : state) {
    for (int r = 0; r < kGroup; ++r) {
      {
        std::lock_guard<std::mutex> g(mu);
        ++appended;
      }
      const uint64_t seq = spool->append_accepted(line, 1, {BatchCount{0, recipients}}, on_commit);
      ranges.clear();
      for (uint32_t first = 0; first < recipients; first += range_len) {
        ranges.push_back(DoneRange{seq, 0, first, std::min(range_len, recipients - first)});
        if (ranges.size() * range_len >= kChunk) {  // one append per sender loop turn
          spool->append_done(ranges.data(), ranges.size());
          ranges.clear();
        }
      }
      spool->append_done(ranges.data(), ranges.size());
    }
    std::unique_lock<std::mutex> lk(mu);
    cv.wait(lk, [&] { return committed == appended; });
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations()) * kGroup * recipients);
  state.counters["line_bytes"] = static_cast<double>(line.size());
  state.counters["syncs_per_req"] =
      static_cast<double>(spool->stats().syncs) / static_cast<double>(std::max<uint64_t>(1, appended));
  spool.reset();
}

void BM_SpoolOff(benchmark::State& s) { run_spool(s, FsyncMode::Off, kChunk); }
void BM_SpoolBatch(benchmark::State& s) { run_spool(s, FsyncMode::Batch, kChunk); }
void BM_SpoolAlways(benchmark::State& s) { run_spool(s, FsyncMode::Always, kChunk); }
void BM_SpoolBatchUncoalesced(benchmark::State& s) { run_spool(s, FsyncMode::Batch, 1); }

BENCHMARK(BM_SpoolOff)->Arg(1)->Arg(100)->Arg(1000)->MeasureProcessCPUTime()->UseRealTime();
BENCHMARK(BM_SpoolBatch)->Arg(1)->Arg(100)->Arg(1000)->MeasureProcessCPUTime()->UseRealTime();
BENCHMARK(BM_SpoolAlways)->Arg(1)->Arg(1000)->MeasureProcessCPUTime()->UseRealTime()->Iterations(10);
BENCHMARK(BM_SpoolBatchUncoalesced)->Arg(1000)->MeasureProcessCPUTime()->UseRealTime();

// The same journal in SQLite WAL: one transaction per request (its line and
// its done ranges), synchronous=NORMAL (fsync at checkpoints only, i.e.
// weaker than fsync "batch") or FULL (fsync per commit, like "always").
void run_sqlite(benchmark::State& state, const char* sync) {
  const auto recipients = static_cast<uint32_t>(state.range(0));
  const std::string line = make_line(recipients);
  TempDir tmp;
  sqlite3* db = nullptr;
  if (sqlite3_open((tmp.path + "/spool.db").c_str(), &db) != SQLITE_OK) {
    state.SkipWithError("sqlite open");
    return;
  }
  std::string pragmas = std::string("PRAGMA journal_mode=WAL; PRAGMA synchronous=") + sync +
                        "; CREATE TABLE req(seq INTEGER PRIMARY KEY, at INTEGER, line BLOB);"
                        " CREATE TABLE done(seq INTEGER, n INTEGER, first INTEGER, count INTEGER);";
  sqlite3_exec(db, pragmas.c_str(), nullptr, nullptr, nullptr);
  sqlite3_stmt *ins_req = nullptr, *ins_done = nullptr;
  sqlite3_prepare_v2(db, "INSERT INTO req VALUES(?,?,?)", -1, &ins_req, nullptr);
  sqlite3_prepare_v2(db, "INSERT INTO done VALUES(?,0,?,?)", -1, &ins_done, nullptr);
  int64_t seq = 0;
  for (auto _ : state) {
    ++seq;
    sqlite3_exec(db, "BEGIN", nullptr, nullptr, nullptr);
    sqlite3_bind_int64(ins_req, 1, seq);
    sqlite3_bind_int64(ins_req, 2, 1);
    sqlite3_bind_blob(ins_req, 3, line.data(), static_cast<int>(line.size()), SQLITE_STATIC);
    sqlite3_step(ins_req);
    sqlite3_reset(ins_req);
    for (uint32_t first = 0; first < recipients; first += kChunk) {
      sqlite3_bind_int64(ins_done, 1, seq);
      sqlite3_bind_int64(ins_done, 2, first);
      sqlite3_bind_int64(ins_done, 3, std::min(kChunk, recipients - first));
      sqlite3_step(ins_done);
      sqlite3_reset(ins_done);
    }
    sqlite3_exec(db, "COMMIT", nullptr, nullptr, nullptr);
  }
  sqlite3_finalize(ins_req);
  sqlite3_finalize(ins_done);
  sqlite3_close(db);
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations()) * recipients);
}

void BM_SqliteWalNormal(benchmark::State& s) { run_sqlite(s, "NORMAL"); }
void BM_SqliteWalFull(benchmark::State& s) { run_sqlite(s, "FULL"); }

BENCHMARK(BM_SqliteWalNormal)->Arg(1)->Arg(100)->Arg(1000)->MeasureProcessCPUTime()->UseRealTime();
BENCHMARK(BM_SqliteWalFull)->Arg(1)->Arg(1000)->MeasureProcessCPUTime()->UseRealTime()->Iterations(320);

}  // namespace
