// Which segments the spool may delete: per request with recipients not yet
// done, the segment holding its accepted record and how many are left; per
// segment, how many such requests it holds. A segment goes when it and every
// older one hold none (strictly oldest-first keeps every done range whose
// request may still be replayed). Writer thread only, except the two counts.
#pragma once
#include <atomic>
#include <cstdint>
#include <map>
#include <string>
#include <unordered_map>

#include "obs/log.h"
#include "spool/record.h"

namespace pushgw::spool {

class SegmentLedger {
 public:
  explicit SegmentLedger(obs::Logger log) : log_(std::move(log)) {}

  // A segment file on disk (found at open, or just created).
  void add_segment(uint32_t n, std::string path);
  // An accepted request with `recipients` to finish, written into `segment`.
  void accepted(uint64_t seq, uint64_t recipients, uint32_t segment);
  void done(const DoneRange& d);
  // Deletes the oldest segments that hold no live request, up to `active`.
  void compact(uint32_t active);

  // Any thread.
  uint64_t live_requests() const { return live_.load(std::memory_order_relaxed); }
  uint64_t segments() const { return segment_count_.load(std::memory_order_relaxed); }

 private:
  struct SeqState {
    uint32_t segment;
    uint64_t remaining;
  };
  struct Segment {
    std::string path;
    uint64_t live = 0;  // requests in it with work left
  };

  obs::Logger log_;
  std::map<uint32_t, Segment> segments_;
  std::unordered_map<uint64_t, SeqState> seqs_;
  std::atomic<uint64_t> live_{0}, segment_count_{0};
};

}  // namespace pushgw::spool
