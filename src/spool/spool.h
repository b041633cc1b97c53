// The durable ingest spool: an append-only journal of accepted `send`
// requests and of the recipients that reached a final outcome, so a restart
// (even after kill -9) re-sends exactly what was accepted and not finished.
//
// Files: <dir>/seg-<16 hex>.log, see record.h for the format. Every process
// start reads all segments (stopping at a torn tail), hands the unfinished
// requests to the caller, and writes into a fresh segment; old segments are
// deleted once the unfinished requests were journaled again there.
//
// Group commit: producers (the ingest thread for accepted requests, sender
// threads for done ranges) only append to an in-memory queue under a mutex.
// One writer thread takes everything queued, writes it with one write() and,
// depending on the fsync mode, one fdatasync(), then runs the commit callbacks
// of the accepted requests it covered (so a `send` is acknowledged only after
// its record is durable). While it syncs, the next group accumulates.
//   fsync "batch":  one fdatasync per group (default)
//   fsync "always": one write + fdatasync per accepted request (no grouping
//                   of acknowledgements; done ranges ride along)
//   fsync "off":    write() only: survives a crash of the process, not of the machine
//
// Write errors (a full disk): the writer cuts the segment back to its last
// complete group and retries the group, with what queued meanwhile, with
// backoff; failing() tells callers to refuse new work until a write succeeds.
//
// Compaction: the writer knows, per request, how many recipients are not yet
// done. A segment is deleted when it and every older segment hold no request
// with work left (deleting strictly oldest-first keeps every done range whose
// request may still be replayed). Segments roll over at segment_bytes.
//
// Threading: append_*() are thread-safe. Commit callbacks run on the writer
// thread and must be quick (post to a loop). The destructor writes and syncs
// everything queued, runs the remaining callbacks and joins the writer.
#pragma once
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "obs/log.h"
#include "pushgw/result.h"
#include "spool/ledger.h"
#include "spool/record.h"
#include "spool/replay.h"
#include "spool/segment_file.h"

namespace pushgw::spool {

enum class FsyncMode : uint8_t { Batch, Always, Off };

struct Options {
  std::string dir;
  FsyncMode fsync = FsyncMode::Batch;
  uint64_t segment_bytes = 64ull << 20;
};

struct SpoolStats {
  uint64_t requests = 0;          // accepted records appended (this process)
  uint64_t done_recipients = 0;   // recipients marked done
  uint64_t commits = 0;           // write groups
  uint64_t syncs = 0;             // fdatasync calls
  uint64_t bytes = 0;             // bytes written
  uint64_t live_requests = 0;     // requests with recipients not yet done
  uint64_t segments = 0;          // segment files on disk
  uint64_t replayed = 0;          // unfinished requests found at open
  bool failed = false;            // writes fail now (retried; new sends are refused meanwhile)
  uint64_t write_errors = 0;      // times writing started to fail
};

class Spool {
 public:
  using CommitFn = std::function<void(bool durable)>;

  // Creates dir (0700) if needed, reads every segment, starts a new one.
  // Errors: "spool_io" (cannot create/read/write), with the path in message.
  static Result<std::unique_ptr<Spool>> open(Options opts, obs::Logger log);
  ~Spool();
  Spool(const Spool&) = delete;
  Spool& operator=(const Spool&) = delete;

  // The requests open() found unfinished, oldest first (only once).
  std::vector<Unfinished> take_unfinished();
  // Journals an unfinished request again (same seq) into the new segment,
  // with the entries and done ranges the caller will actually honour. Call
  // for each replayed request before start(); the old segments are deleted
  // after the first group commit.
  void rejournal(const Unfinished& u);
  // Starts the writer thread.
  void start();

  // Journals an accepted request and returns its sequence number (> 0, unique
  // across restarts while any older record exists). on_commit (may be empty)
  // runs on the writer thread once the record is durable per the fsync mode
  // (durable=false when writes kept failing for 5 s, or at shutdown).
  uint64_t append_accepted(std::string_view line, int64_t accepted_ms, std::vector<BatchCount> batches,
                           CommitFn on_commit);
  // Marks recipients done. Ranges of one caller are usually coalesced already.
  // Returns a ticket: they are written once done_written() >= it.
  uint64_t append_done(const DoneRange* ranges, size_t n);
  // Any thread: done ranges written so far (in append order).
  uint64_t done_written() const { return done_written_.load(std::memory_order_acquire); }

  SpoolStats stats() const;
  // Any thread: writes fail now. The writer retries (backoff up to 2 s);
  // callers refuse new work meanwhile, so nothing is sent unjournaled.
  bool failing() const { return failed_flag_.load(std::memory_order_relaxed); }
  const Options& options() const { return opts_; }

 private:
  struct Pending {
    uint64_t seq;
    int64_t accepted_ms;
    std::vector<BatchCount> batches;
    std::string line;
    CommitFn on_commit;
  };

  Spool(Options opts, obs::Logger log);
  Result<void> load();
  Result<void> open_segment();
  void run();
  bool write_group(std::vector<Pending>& acc, std::vector<DoneRange>& done);
  void encode_group(const std::vector<Pending>& acc, const std::vector<DoneRange>& done);
  bool write_each_synced(std::vector<Pending>& acc);
  bool write_together(std::vector<Pending>& acc);
  void acknowledge(Pending& p);
  void failed_group(std::vector<Pending>& acc, std::vector<DoneRange>& done, bool stopping);
  void recovered();
  void cut_back(uint64_t end);
  void maybe_rollover();

  Options opts_;
  obs::Logger log_;

  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<Pending> acc_q_;
  std::vector<DoneRange> done_q_;
  uint64_t next_seq_ = 1;
  bool stop_ = false;
  bool kick_ = false;  // run one group even if empty (first compaction)

  // Writer-thread state.
  SegmentFile file_;
  uint32_t active_ = 0;
  SegmentLedger ledger_;
  std::string buf_;    // done records of the current group
  std::string heads_;  // accepted record heads of the current group
  std::vector<size_t> head_ends_;               // where each record head ends in heads_
  std::vector<std::string_view> head_views_;  // into heads_, one per accepted record
  bool failing_ = false;          // the last group failed: retrying
  bool need_rollover_ = false;    // a cut-back failed: next group in a new segment
  int attempts_ = 0;
  int last_errno_ = 0;
  std::chrono::steady_clock::time_point failing_since_{};
  std::chrono::milliseconds retry_backoff_{100};

  std::vector<Unfinished> unfinished_;
  std::atomic<uint64_t> requests_{0}, done_recipients_{0}, commits_{0}, replayed_{0}, write_errors_{0},
      done_written_{0};
  uint64_t done_queued_ = 0;  // under mu_
  std::atomic<bool> failed_flag_{false};
  std::thread writer_;  // last: joined (or run inline) by the destructor
};

}  // namespace pushgw::spool
