// Admission's collaborators wired as in the daemon, with fakes where the
// real thing is another thread: lanes the test drains by hand, a spool
// journal and a store commit the test completes, a fake store for scheduled
// rows, a socket and an ingest source that record answers.
#pragma once
#include <gtest/gtest.h>

#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "../schedule/fakes.h"
#include "admission/admission.h"
#include "admission/clients.h"
#include "admission/request_tracker.h"
#include "loop/inbox.h"
#include "loop/loop.h"
#include "loop/pending_ops.h"

namespace pushgw::admission::testing {

struct FakeLanes final : dispatch::Lanes {
  std::vector<std::vector<SendJob>> rings;
  size_t cap;
  std::vector<int> woken;
  // Called with the jobs a push took, as a sender could see them at once.
  std::function<void(const SendJob*, size_t)> on_push;
  FakeLanes(int n, size_t cap_per_lane) : rings(static_cast<size_t>(n)), cap(cap_per_lane) {}
  int count() const override { return static_cast<int>(rings.size()); }
  size_t push(int lane, const SendJob* jobs, size_t n) override {
    auto& r = rings[static_cast<size_t>(lane)];
    const size_t take = std::min(n, cap - r.size());
    r.insert(r.end(), jobs, jobs + take);
    if (on_push) on_push(jobs, take);
    return take;
  }
  void wake(int lane) override { woken.push_back(lane); }
  size_t load() const override {
    size_t n = 0;
    for (const auto& r : rings) n += r.size();
    return n;
  }
  size_t share() const override { return cap * rings.size(); }
};

struct Directory final : ingest::AppDirectory {
  ingest::AppInfo shop{0, Platform::Apns, "shop", false};
  const ingest::AppInfo* find(Platform p, std::string_view name) const override {
    return p == shop.platform && name == shop.name ? &shop : nullptr;
  }
};

struct Source final : ingest::Source {
  std::vector<std::pair<uint64_t, ingest::Answer>> answers;
  std::vector<std::string> lines;
  std::vector<std::pair<uint64_t, bool>> journaled;
  int rooms = 0;
  bool results = false;
  void on_answer(uint64_t tag, ingest::Answer kind, std::string line) override {
    answers.emplace_back(tag, kind);
    lines.push_back(std::move(line));
  }
  void on_journaled(uint64_t tag, bool durable) override { journaled.emplace_back(tag, durable); }
  void on_room() override { ++rooms; }
  void append_stats(std::string&) const override {}
  bool wants_results() const override { return results; }
};

struct Journal {
  struct Entry {
    std::string line;
    std::vector<spool::BatchCount> counts;
    std::function<void(bool)> on_commit;
  };
  std::vector<Entry> entries;
  uint64_t next_seq = 100;
  RequestTracker::JournalFn fn() {
    return [this](std::string_view line, int64_t, std::vector<spool::BatchCount> counts,
                  std::function<void(bool)> on_commit) {
      entries.push_back(Entry{std::string(line), std::move(counts), std::move(on_commit)});
      return next_seq++;
    };
  }
};

// 64 hex digits: a well-formed APNs token.
inline std::string token(int i) {
  char buf[16];
  snprintf(buf, sizeof buf, "%04x", static_cast<unsigned>(i) & 0xffffu);
  return std::string(60, 'a') + buf;
}

inline std::string send_line(int tokens, bool wait, const std::string& extra = "") {
  std::string list;
  for (int i = 0; i < tokens; ++i) list += (i ? ",\"" : "\"") + token(i) + "\"";
  return std::string(R"({"op":"send","id":7,"wait":)") + (wait ? "true" : "false") +
         R"(,"notifications":[{"platform":"apns","app":"shop","tokens":[)" + list +
         R"(],"payload":{"aps":{"alert":"hi"}})" + extra + "}]}";
}

class Rig {
 public:
  struct Options {
    int lanes = 2;
    size_t lane_cap = 100000;
    int connections = 2;  // the app's serving threads: min(connections, lanes)
    bool spool = false;
    bool store = false;   // after_commit before waited answers
  };

  explicit Rig(Options o) : lanes(o.lanes, o.lane_cap) {
    uv_loop_init(&loop);
    answers_ops = std::make_unique<loop::PendingOps>(&loop);
    work_ops = std::make_unique<loop::PendingOps>(&loop);
    inbox = std::make_unique<loop::Inbox>(&loop);
    clients = std::make_unique<Clients>([this](uint64_t c, std::string l) { socket.emplace_back(c, std::move(l)); },
                                        *inbox, *answers_ops);
    clients->attach_source(&source);
    schedule::Scheduler::Deps sd{&loop, &rows, &clock, inbox.get(), work_ops.get(), quiet()};
    scheduler = std::make_unique<schedule::Scheduler>(std::move(sd));
    RequestTracker::Deps td;
    td.clients = clients.get();
    td.scheduler = scheduler.get();
    if (o.spool) td.journal = journal.fn();
    if (o.store) td.after_commit = [this](std::function<void()> done) { commits.push_back(std::move(done)); };
    td.inbox = inbox.get();
    td.answers = answers_ops.get();
    td.work = work_ops.get();
    tracker = std::make_unique<RequestTracker>(std::move(td));
    policy = std::make_unique<schedule::Policy>(quiet());
    policy->apply(settings::PolicyConfig{});
    table = std::make_shared<dispatch::AppTable>(1);
    (*table)[0].name = "shop";
    (*table)[0].connections = o.connections;
    Admission::Deps ad;
    ad.loop = &loop;
    ad.lanes = &lanes;
    ad.tracker = tracker.get();
    ad.clients = clients.get();
    ad.scheduler = scheduler.get();
    ad.policy = policy.get();
    ad.clock = &clock;
    ad.reading = [this](bool paused) { reading.push_back(paused); };
    ad.store_down = [this] { return store_down; };
    ad.log = quiet();
    admission = std::make_unique<Admission>(std::move(ad));
    admission->set_apps(table, &directory);
    scheduler->set_intake(admission.get());
  }

  ~Rig() {
    // What the senders still hold would be theirs to free.
    for (auto& r : lanes.rings)
      for (const SendJob& j : r)
        if (j.batch->pending.fetch_sub(1) == 1 && !j.batch->wait) delete j.batch;
    admission.reset();
    scheduler.reset();
    journal.entries.clear();
    commits.clear();
    rows = schedule::testing::FakeRows{};
    tracker.reset();
    clients.reset();
    inbox.reset();
    work_ops.reset();
    answers_ops.reset();
    EXPECT_EQ(loop::run_and_close(&loop), 0) << loop::describe_handles(&loop);
  }

  void turn() { uv_run(&loop, UV_RUN_NOWAIT); }

  // A line as the socket would deliver it.
  void send(const std::string& line, uint64_t conn = 1) {
    ASSERT_TRUE(parser.parse(line).ok());
    admission->handle_send(conn, parser.id_json(), line, parser.root());
  }
  // Every queued recipient reaches `st` on its sender; waited batches come back.
  void finish_all(Status st) {
    for (auto& r : lanes.rings) {
      for (const SendJob& j : r) {
        Batch* b = j.batch;
        if (b->wait) b->results[j.idx].status = st;
        if (b->pending.fetch_sub(1) != 1) continue;
        if (b->wait) tracker->batch_done(b);
        else delete b;
      }
      r.clear();
    }
  }

  static obs::Logger quiet() { return obs::Logger(std::make_shared<obs::LogSink>(obs::Level::Error), "test"); }

  uv_loop_t loop{};
  schedule::testing::FakeClock clock;
  FakeLanes lanes;
  Directory directory;
  Source source;
  Journal journal;
  std::vector<std::function<void()>> commits;
  bool store_down = false;  // what Admission::Deps::store_down reports
  std::vector<std::pair<uint64_t, std::string>> socket;
  std::vector<bool> reading;
  schedule::testing::FakeRows rows;
  std::shared_ptr<dispatch::AppTable> table;
  std::unique_ptr<loop::PendingOps> answers_ops, work_ops;
  std::unique_ptr<loop::Inbox> inbox;
  std::unique_ptr<Clients> clients;
  std::unique_ptr<schedule::Scheduler> scheduler;
  std::unique_ptr<RequestTracker> tracker;
  std::unique_ptr<schedule::Policy> policy;
  std::unique_ptr<Admission> admission;
  ingest::RequestParser parser;
};

}  // namespace pushgw::admission::testing
