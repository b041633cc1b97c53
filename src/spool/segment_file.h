// The segment the spool writes into: one append-only file descriptor, its
// size, and the bytes and fdatasync calls spent on it (for SpoolStats).
// Writer thread only, except the two counters (any thread).
#pragma once
#include <atomic>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace pushgw::spool {

class SegmentFile {
 public:
  SegmentFile() = default;
  ~SegmentFile();
  SegmentFile(const SegmentFile&) = delete;
  SegmentFile& operator=(const SegmentFile&) = delete;

  // Creates path (it must not exist) and writes header into it, synced when
  // `sync`. On success the new file replaces the current one; on failure the
  // current one stays and errno tells why.
  bool create(const std::string& path, const std::string& header, bool sync);

  // writev() of every part, resuming after short writes (and in chunks of
  // IOV_MAX). Consumes parts. False on an error (errno set).
  bool write(std::vector<std::string_view>& parts);
  bool sync();
  // Cuts the file back to `end` bytes (a failed write may have left part of
  // a record behind). False when even that failed.
  bool cut_back(uint64_t end);

  uint64_t size() const { return size_; }  // of the current file
  uint64_t bytes_written() const { return bytes_.load(std::memory_order_relaxed); }
  uint64_t syncs() const { return syncs_.load(std::memory_order_relaxed); }

 private:
  int fd_ = -1;
  uint64_t size_ = 0;
  std::atomic<uint64_t> bytes_{0}, syncs_{0};
};

}  // namespace pushgw::spool
