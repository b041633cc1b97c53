#include "spool/spool.h"

#include <dirent.h>
#include <fcntl.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <chrono>
#include <thread>

namespace pushgw::spool {
namespace {

namespace fs = std::filesystem;

struct TempDir {
  std::string path;
  TempDir() {
    std::string t = (fs::temp_directory_path() / "pushgw-spool-XXXXXX").string();
    if (!mkdtemp(t.data())) std::abort();
    path = t;
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path, ec);
  }
};

std::vector<std::string> segments(const std::string& dir) {
  std::vector<std::string> out;
  for (const auto& e : fs::directory_iterator(dir)) out.push_back(e.path().filename().string());
  std::sort(out.begin(), out.end());
  return out;
}

struct SpoolTest : ::testing::TestWithParam<FsyncMode> {
  TempDir tmp;
  Options opts() {
    Options o;
    o.dir = tmp.path + "/spool/sub";  // created with its parents
    o.fsync = GetParam();
    return o;
  }
  std::unique_ptr<Spool> open_spool(Options o) {
    auto r = Spool::open(std::move(o), obs::Logger());
    EXPECT_TRUE(r.ok()) << (r.ok() ? "" : r.error().message);
    return r.ok() ? std::move(r.value()) : nullptr;
  }
};

TEST_P(SpoolTest, UnfinishedRequestsSurviveARestartAndDoneOnesDoNot) {
  std::atomic<int> committed{0};
  {
    auto s = open_spool(opts());
    ASSERT_TRUE(s);
    EXPECT_TRUE(s->take_unfinished().empty());
    s->start();
    uint64_t a = s->append_accepted("line-a", 111, {{0, 3}}, [&](bool ok) { committed += ok; });
    uint64_t b = s->append_accepted("line-b", 222, {{0, 1}, {2, 2}}, [&](bool ok) { committed += ok; });
    EXPECT_LT(a, b);
    DoneRange d[] = {{a, 0, 0, 3}, {b, 2, 1, 1}};
    s->append_done(d, 2);
  }  // destructor writes everything queued
  EXPECT_EQ(committed.load(), 2);
  auto s = open_spool(opts());
  ASSERT_TRUE(s);
  auto u = s->take_unfinished();
  ASSERT_EQ(u.size(), 1u);
  EXPECT_EQ(u[0].line, "line-b");
  EXPECT_EQ(u[0].accepted_ms, 222);
  ASSERT_EQ(u[0].batches.size(), 2u);
  EXPECT_EQ(u[0].remaining(), 2u);
  EXPECT_TRUE(u[0].batches[1].is_done(1));
  EXPECT_FALSE(u[0].batches[1].is_done(0));
  EXPECT_EQ(s->stats().replayed, 1u);
  // New sequence numbers never reuse old ones.
  s->start();
  EXPECT_GT(s->append_accepted("line-c", 1, {{0, 1}}, nullptr), u[0].seq);
}

TEST_P(SpoolTest, RejournalThenFinishingEverythingLeavesNothing) {
  uint64_t seq;
  {
    auto s = open_spool(opts());
    s->start();
    seq = s->append_accepted("L", 5, {{0, 4}}, nullptr);
    DoneRange d{seq, 0, 0, 1};
    s->append_done(&d, 1);
  }
  {
    auto s = open_spool(opts());
    auto u = s->take_unfinished();
    ASSERT_EQ(u.size(), 1u);
    s->rejournal(u[0]);
    s->start();
    // Old segment goes after the first group; the replay copy stays live.
    DoneRange d{seq, 0, 1, 2};
    s->append_done(&d, 1);
  }
  {
    auto s = open_spool(opts());
    auto u = s->take_unfinished();
    ASSERT_EQ(u.size(), 1u);
    EXPECT_EQ(u[0].seq, seq);
    EXPECT_EQ(u[0].remaining(), 1u);
    EXPECT_FALSE(u[0].batches[0].is_done(3));
    s->rejournal(u[0]);
    s->start();
    DoneRange d{seq, 0, 3, 1};
    s->append_done(&d, 1);
  }
  auto s = open_spool(opts());
  EXPECT_TRUE(s->take_unfinished().empty());
}

TEST_P(SpoolTest, TornTailIsIgnoredAndEverythingBeforeItKept) {
  {
    auto s = open_spool(opts());
    s->start();
    s->append_accepted("keep", 1, {{0, 1}}, nullptr);
  }
  // Simulate a crash in the middle of the next write.
  auto names = segments(opts().dir);
  ASSERT_EQ(names.size(), 1u);
  const std::string seg = opts().dir + "/" + names[0];
  std::string partial;
  BatchCount b{0, 1};
  encode_accepted(99, 1, &b, 1, "lost", partial);
  {
    std::ofstream f(seg, std::ios::binary | std::ios::app);
    f.write(partial.data(), static_cast<std::streamsize>(partial.size() - 3));
  }
  auto s = open_spool(opts());
  auto u = s->take_unfinished();
  ASSERT_EQ(u.size(), 1u);
  EXPECT_EQ(u[0].line, "keep");
}

TEST_P(SpoolTest, CompactionDeletesOldestFullyDoneSegmentsOnly) {
  Options o = opts();
  o.segment_bytes = 4096;  // roll over often
  auto s = open_spool(o);
  s->start();
  const std::string line(5000, 'x');  // > segment_bytes: one request per segment
  uint64_t pinned = s->append_accepted(line, 1, {{0, 1}}, nullptr);
  std::vector<uint64_t> seqs;
  for (int i = 0; i < 10; ++i) {
    // Wait for each group so every request lands in its own segment.
    std::atomic<bool> done{false};
    seqs.push_back(s->append_accepted(line, 1, {{0, 1}}, [&](bool) { done = true; }));
    while (!done) std::this_thread::yield();
  }
  for (uint64_t q : seqs) {
    DoneRange d{q, 0, 0, 1};
    s->append_done(&d, 1);
  }
  // Everything but the first request is done, but the oldest segment pins all
  // later ones (their done ranges must survive for a replay of it).
  // (Accounting follows the commit callbacks: poll the stats, bounded.)
  auto eventually = [&](auto pred) {
    for (int i = 0; i < 5000 && !pred(); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(1));
    return pred();
  };
  ASSERT_TRUE(eventually([&] { return s->stats().live_requests == 1; }));
  EXPECT_GE(s->stats().segments, 11u);
  EXPECT_GE(segments(o.dir).size(), 11u);
  DoneRange d{pinned, 0, 0, 1};
  s->append_done(&d, 1);
  ASSERT_TRUE(eventually([&] { return s->stats().live_requests == 0; }));
  ASSERT_TRUE(eventually([&] { return s->stats().segments == 1; }));  // only the active one is left
  EXPECT_EQ(segments(o.dir).size(), 1u);
}

TEST_P(SpoolTest, ConcurrentProducersLoseNothing) {
  constexpr int kThreads = 4, kPer = 500;
  std::vector<uint64_t> seqs(kThreads * kPer);
  std::atomic<int> commits{0};
  {
    auto s = open_spool(opts());
    s->start();
    std::vector<std::thread> ts;
    for (int t = 0; t < kThreads; ++t)
      ts.emplace_back([&, t] {
        for (int i = 0; i < kPer; ++i) {
          uint64_t q = s->append_accepted("req", 1, {{0, 2}}, [&](bool ok) { commits += ok; });
          seqs[static_cast<size_t>(t * kPer + i)] = q;
          if (i % 2 == 0) {  // even ones finish completely
            DoneRange d{q, 0, 0, 2};
            s->append_done(&d, 1);
          }
        }
      });
    for (auto& t : ts) t.join();
  }
  EXPECT_EQ(commits.load(), kThreads * kPer);
  auto s = open_spool(opts());
  auto u = s->take_unfinished();
  EXPECT_EQ(u.size(), static_cast<size_t>(kThreads * kPer / 2));
  std::sort(seqs.begin(), seqs.end());
  EXPECT_EQ(std::unique(seqs.begin(), seqs.end()), seqs.end());  // all distinct
}

TEST_P(SpoolTest, UnwritableDirectoryIsAnError) {
  if (geteuid() == 0) GTEST_SKIP() << "root can write anywhere";
  Options o = opts();
  o.dir = "/proc/pushgw-spool-test";
  auto r = Spool::open(o, obs::Logger());
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, "spool_io");
}

TEST_P(SpoolTest, AFileInPlaceOfTheDirectoryIsAnError) {
  Options o = opts();
  o.dir = tmp.path + "/file";
  std::ofstream(o.dir) << "x";
  auto r = Spool::open(o, obs::Logger());
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, "spool_io");
}

INSTANTIATE_TEST_SUITE_P(Modes, SpoolTest, ::testing::Values(FsyncMode::Batch, FsyncMode::Always, FsyncMode::Off),
                         [](const auto& param_info) {
                           switch (param_info.param) {
                             case FsyncMode::Batch: return std::string("batch");
                             case FsyncMode::Always: return std::string("always");
                             case FsyncMode::Off: return std::string("off");
                           }
                           return std::string("?");
                         });

}  // namespace
}  // namespace pushgw::spool
