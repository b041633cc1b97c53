#include "spool/spool.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <iterator>
#include <utility>
#include <cerrno>
#include <cinttypes>
#include <climits>
#include <cstdio>
#include <cstring>

#include "base/sched_slice.h"
#include "base/thread_name.h"

namespace pushgw::spool {
namespace {

constexpr size_t kMaxDonePerRecord = 4096;
constexpr size_t kKeepBufferBytes = 1u << 20;
constexpr auto kMinRetry = std::chrono::milliseconds(100);
constexpr auto kMaxRetry = std::chrono::milliseconds(2000);
// Acknowledgements of requests in a failed group wait this long for a retry.
constexpr auto kAckWait = std::chrono::milliseconds(5000);
// Attempts at shutdown before queued records are given up.
constexpr int kStopAttempts = 3;

Error io_error(const std::string& what, const std::string& path) {
  return make_error("spool_io", what + " " + path + ": " + std::strerror(errno));
}

std::string segment_name(uint32_t n) {
  char buf[32];
  snprintf(buf, sizeof buf, "seg-%016" PRIx32 ".log", n);
  return buf;
}

bool parse_segment_name(const char* name, uint32_t& n) {
  unsigned long long v = 0;
  int used = 0;
  if (sscanf(name, "seg-%16llx.log%n", &v, &used) != 1 || used != static_cast<int>(strlen(name))) return false;
  if (strlen(name) != 24 || v == 0 || v > UINT32_MAX) return false;
  n = static_cast<uint32_t>(v);
  return true;
}

bool mkdirs(const std::string& path) {
  for (size_t i = 1; i <= path.size(); ++i) {
    if (i < path.size() && path[i] != '/') continue;
    std::string part = path.substr(0, i);
    if (::mkdir(part.c_str(), 0700) != 0 && errno != EEXIST) return false;
  }
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}

bool read_file(const std::string& path, std::string& out) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return false;
  out.clear();
  char buf[1 << 16];
  for (;;) {
    ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      ::close(fd);
      return n == 0;
    }
    out.append(buf, static_cast<size_t>(n));
  }
}

void sync_dir(const std::string& dir) {
  int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return;
  ::fsync(fd);
  ::close(fd);
}

}  // namespace

Spool::Spool(Options opts, obs::Logger log) : opts_(std::move(opts)), log_(std::move(log)), ledger_(log_) {}

Result<std::unique_ptr<Spool>> Spool::open(Options opts, obs::Logger log) {
  std::unique_ptr<Spool> s(new Spool(std::move(opts), std::move(log)));
  if (s->opts_.segment_bytes < 4096) s->opts_.segment_bytes = 4096;
  if (!mkdirs(s->opts_.dir)) return io_error("cannot create directory", s->opts_.dir);
  if (auto r = s->load(); !r.ok()) return r.error();
  if (auto r = s->open_segment(); !r.ok()) return r.error();
  return s;
}

// Reads every segment in order, feeding the replay index; registers them as
// old segments with nothing live (they go once the replay copy is durable).
Result<void> Spool::load() {
  DIR* d = ::opendir(opts_.dir.c_str());
  if (d == nullptr) return io_error("cannot list", opts_.dir);
  std::vector<uint32_t> found;
  while (dirent* e = ::readdir(d)) {
    uint32_t n = 0;
    if (parse_segment_name(e->d_name, n)) found.push_back(n);
  }
  ::closedir(d);
  std::sort(found.begin(), found.end());
  ReplayIndex index;
  std::string data;
  for (uint32_t n : found) {
    const std::string path = opts_.dir + "/" + segment_name(n);
    if (!read_file(path, data)) return io_error("cannot read", path);
    ledger_.add_segment(n, path);
    const SegmentScan scan = replay_segment(data, index);
    if (!scan.header_ok) {
      PGW_LOG(log_, Warn, "%s: no valid header (%zu bytes); ignored", path.c_str(), data.size());
    } else if (scan.end != ReadStatus::End) {
      PGW_LOG(log_, Warn, "%s: %s record at offset %zu of %zu; the rest of this segment is ignored", path.c_str(),
              scan.end == ReadStatus::Torn ? "incomplete" : "corrupt", scan.pos, data.size());
    }
  }
  next_seq_ = index.max_seq() + 1;
  unfinished_ = index.take_unfinished();
  replayed_.store(unfinished_.size(), std::memory_order_relaxed);
  active_ = found.empty() ? 1 : found.back() + 1;
  if (!found.empty()) kick_ = true;  // delete the old segments at the first group
  return ok();
}

Result<void> Spool::open_segment() {
  const std::string path = opts_.dir + "/" + segment_name(active_);
  std::string header;
  uint64_t next;
  {
    std::lock_guard<std::mutex> g(mu_);
    next = next_seq_;
  }
  encode_segment_header(next, header);
  if (!file_.create(path, header, opts_.fsync != FsyncMode::Off)) return io_error("cannot create or write", path);
  if (opts_.fsync != FsyncMode::Off) sync_dir(opts_.dir);
  ledger_.add_segment(active_, path);
  return ok();
}

Spool::~Spool() {
  {
    std::lock_guard<std::mutex> g(mu_);
    stop_ = true;
  }
  cv_.notify_one();
  if (writer_.joinable()) {
    writer_.join();
  } else {
    run();  // never started: still write what was queued (rejournal, tests)
  }
}

std::vector<Unfinished> Spool::take_unfinished() { return std::move(unfinished_); }

void Spool::rejournal(const Unfinished& u) {
  Pending p{u.seq, u.accepted_ms, {}, u.line, nullptr};
  std::vector<DoneRange> done;
  for (const UnfinishedBatch& b : u.batches) {
    p.batches.push_back(BatchCount{b.n, b.count});
    for (const auto& [first, end] : b.done) done.push_back(DoneRange{u.seq, b.n, first, end - first});
  }
  std::lock_guard<std::mutex> g(mu_);
  acc_q_.push_back(std::move(p));
  done_q_.insert(done_q_.end(), done.begin(), done.end());
}

void Spool::start() {
  writer_ = std::thread([this] {
    name_this_thread("pgw-spool");
    request_batch_scheduling();  // commits and fsyncs: never ahead of the ingest and sender threads
    run();
  });
}

uint64_t Spool::append_accepted(std::string_view line, int64_t accepted_ms, std::vector<BatchCount> batches,
                                CommitFn on_commit) {
  uint64_t seq;
  {
    std::lock_guard<std::mutex> g(mu_);
    seq = next_seq_++;
    acc_q_.push_back(Pending{seq, accepted_ms, std::move(batches), std::string(line), std::move(on_commit)});
  }
  cv_.notify_one();
  return seq;
}

uint64_t Spool::append_done(const DoneRange* ranges, size_t n) {
  uint64_t ticket;
  {
    std::lock_guard<std::mutex> g(mu_);
    done_q_.insert(done_q_.end(), ranges, ranges + n);
    done_queued_ += n;
    ticket = done_queued_;
  }
  if (n > 0) cv_.notify_one();
  return ticket;
}

void Spool::run() {
  std::vector<Pending> acc;
  std::vector<DoneRange> done;
  for (;;) {
    bool stopping;
    {
      std::unique_lock<std::mutex> lk(mu_);
      if (!failing_) {
        cv_.wait(lk, [this] { return stop_ || kick_ || !acc_q_.empty() || !done_q_.empty(); });
      } else {
        cv_.wait_for(lk, retry_backoff_, [this] { return stop_; });  // retrying a failed group
      }
      stopping = stop_;
      if (acc.empty() && done.empty() && acc_q_.empty() && done_q_.empty() && !kick_ && stop_) return;
      kick_ = false;
      // A group that failed is retried whole, with what queued meanwhile
      // after it (accepted records still before the done ranges naming them).
      acc.insert(acc.end(), std::make_move_iterator(acc_q_.begin()), std::make_move_iterator(acc_q_.end()));
      done.insert(done.end(), done_q_.begin(), done_q_.end());
      acc_q_.clear();
      done_q_.clear();
    }
    if (write_group(acc, done)) {
      recovered();
      continue;
    }
    failed_group(acc, done, stopping);
  }
}

// The group could not be written: the writer retries it with backoff, and
// the daemon refuses new sends meanwhile (failing()). Its requests were
// already handed to the senders, so their acknowledgements wait for the
// retry, for at most kAckWaitMs: then they are answered not durable (the
// spool keeps trying to write them). At shutdown the spool gives up after a
// few attempts.
void Spool::failed_group(std::vector<Pending>& acc, std::vector<DoneRange>& done, bool stopping) {
  const auto now = std::chrono::steady_clock::now();
  if (!failing_) {
    failing_ = true;
    failing_since_ = now;
    retry_backoff_ = kMinRetry;
    failed_flag_.store(true, std::memory_order_relaxed);
    write_errors_.fetch_add(1, std::memory_order_relaxed);
    PGW_LOG(log_, Error,
            "spool write failed in %s: %s; new sends are refused (spool_failed, not sent) while it fails; retrying",
            opts_.dir.c_str(), std::strerror(last_errno_));
  } else {
    retry_backoff_ = std::min(kMaxRetry, retry_backoff_ * 2);
  }
  ++attempts_;
  const bool give_up_acks = now - failing_since_ >= kAckWait;
  for (Pending& p : acc)
    if (p.on_commit && (give_up_acks || stopping)) std::exchange(p.on_commit, nullptr)(false);
  if (stopping && attempts_ >= kStopAttempts) {
    PGW_LOG(log_, Error, "spool: giving up on %zu requests and %zu done ranges at shutdown: %s", acc.size(),
            done.size(), std::strerror(last_errno_));
    acc.clear();
    done.clear();
  }
}

void Spool::recovered() {
  attempts_ = 0;
  if (!failing_) return;
  failing_ = false;
  failed_flag_.store(false, std::memory_order_relaxed);
  PGW_LOG(log_, Warn, "spool in %s writes again; sends are accepted", opts_.dir.c_str());
}

// A failed write or sync may have left part of a record behind: cut the
// segment back to its last complete group, so records written after the
// retry are not hidden behind a torn one at replay. If even that fails, the
// next group goes to a new segment.
void Spool::cut_back(uint64_t end) {
  last_errno_ = errno;
  if (!file_.cut_back(end)) need_rollover_ = true;
}

void Spool::maybe_rollover() {
  if (file_.size() < opts_.segment_bytes && !need_rollover_) return;
  ++active_;
  if (auto r = open_segment(); !r.ok()) {
    // Keep writing to the current segment (it only grows past its size).
    PGW_LOG(log_, Warn, "%s", r.error().message.c_str());
    ::unlink((opts_.dir + "/" + segment_name(active_)).c_str());
    --active_;
    return;
  }
  need_rollover_ = false;
}

// One group: every accepted record before every done range (a done range's
// request was appended before it, so it is in this group or an earlier one).
// True when all of it is written (and synced per the mode): its requests are
// acknowledged and acc and done are emptied. False: the file is cut back to
// its last durable end, and acc keeps the requests not acknowledged yet,
// done every range, to be retried.
bool Spool::write_group(std::vector<Pending>& acc, std::vector<DoneRange>& done) {
  maybe_rollover();
  encode_group(acc, done);
  if (!(opts_.fsync == FsyncMode::Always ? write_each_synced(acc) : write_together(acc))) return false;
  // A burst can leave megabytes of capacity behind: do not keep it.
  if (buf_.capacity() > kKeepBufferBytes) std::string().swap(buf_);
  if (heads_.capacity() > kKeepBufferBytes) std::string().swap(heads_);
  uint64_t done_count = 0;
  for (const DoneRange& d : done) {
    done_count += d.count;
    ledger_.done(d);
  }
  done_written_.fetch_add(done.size(), std::memory_order_release);
  done.clear();
  done_recipients_.fetch_add(done_count, std::memory_order_relaxed);
  commits_.fetch_add(1, std::memory_order_relaxed);
  ledger_.compact(active_);
  return true;
}

// Accepted records go out as head + the request line itself (writev, no copy
// of the line): their heads into heads_ (head_views_[i] is acc[i]'s); done
// ranges are encoded into buf_.
void Spool::encode_group(const std::vector<Pending>& acc, const std::vector<DoneRange>& done) {
  heads_.clear();
  head_views_.clear();
  std::vector<size_t>& ends = head_ends_;
  ends.clear();
  for (const Pending& p : acc) {
    encode_accepted_head(p.seq, p.accepted_ms, p.batches.data(), p.batches.size(), p.line, heads_);
    ends.push_back(heads_.size());
  }
  for (size_t i = 0; i < ends.size(); ++i) {
    const size_t start = i == 0 ? 0 : ends[i - 1];
    head_views_.emplace_back(heads_.data() + start, ends[i] - start);
  }
  buf_.clear();
  for (size_t i = 0; i < done.size(); i += kMaxDonePerRecord)
    encode_done(done.data() + i, std::min(kMaxDonePerRecord, done.size() - i), buf_);
}

// fsync "always": one durable write per request, so nobody's acknowledgement
// waits for anyone else's data. Done ranges follow in a last write. The
// requests acknowledged leave acc, also when a later one fails.
bool Spool::write_each_synced(std::vector<Pending>& acc) {
  std::vector<std::string_view> parts;
  size_t i = 0;
  for (; i < acc.size(); ++i) {
    const uint64_t end = file_.size();
    parts.assign({head_views_[i], acc[i].line});
    if (!file_.write(parts) || !file_.sync()) {
      cut_back(end);
      break;
    }
    acknowledge(acc[i]);
  }
  acc.erase(acc.begin(), acc.begin() + static_cast<std::ptrdiff_t>(i));
  if (!acc.empty()) return false;
  const uint64_t end = file_.size();
  parts.assign({buf_});
  if (!buf_.empty() && (!file_.write(parts) || !file_.sync())) {
    cut_back(end);
    return false;
  }
  return true;
}

// fsync "batch" and "off": the whole group in one writev (and one
// fdatasync unless off), then every request is acknowledged.
bool Spool::write_together(std::vector<Pending>& acc) {
  std::vector<std::string_view> parts;
  const uint64_t end = file_.size();
  for (size_t i = 0; i < acc.size(); ++i) {
    parts.emplace_back(head_views_[i]);
    parts.emplace_back(acc[i].line);
  }
  if (!buf_.empty()) parts.emplace_back(buf_);
  if (!parts.empty() && (!file_.write(parts) || (opts_.fsync != FsyncMode::Off && !file_.sync()))) {
    cut_back(end);
    return false;
  }
  for (Pending& p : acc) acknowledge(p);
  acc.clear();
  return true;
}

void Spool::acknowledge(Pending& p) {
  uint64_t recipients = 0;
  for (const BatchCount& b : p.batches) recipients += b.count;
  ledger_.accepted(p.seq, recipients, active_);
  requests_.fetch_add(1, std::memory_order_relaxed);
  if (p.on_commit) std::exchange(p.on_commit, nullptr)(true);
}

SpoolStats Spool::stats() const {
  SpoolStats s;
  s.requests = requests_.load(std::memory_order_relaxed);
  s.done_recipients = done_recipients_.load(std::memory_order_relaxed);
  s.commits = commits_.load(std::memory_order_relaxed);
  s.syncs = file_.syncs();
  s.bytes = file_.bytes_written();
  s.live_requests = ledger_.live_requests();
  s.segments = ledger_.segments();
  s.replayed = replayed_.load(std::memory_order_relaxed);
  s.failed = failed_flag_.load(std::memory_order_relaxed);
  s.write_errors = write_errors_.load(std::memory_order_relaxed);
  return s;
}

}  // namespace pushgw::spool
