#include "spool/ledger.h"

#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

namespace pushgw::spool {

void SegmentLedger::add_segment(uint32_t n, std::string path) {
  segments_[n] = Segment{std::move(path), 0};
  segment_count_.store(segments_.size(), std::memory_order_relaxed);
}

void SegmentLedger::accepted(uint64_t seq, uint64_t recipients, uint32_t segment) {
  if (recipients == 0) return;
  auto [it, inserted] = seqs_.try_emplace(seq, SeqState{segment, recipients});
  if (!inserted) return;  // cannot happen: sequence numbers are unique
  ++segments_[segment].live;
  live_.fetch_add(1, std::memory_order_relaxed);
}

void SegmentLedger::done(const DoneRange& d) {
  auto it = seqs_.find(d.seq);
  if (it == seqs_.end()) return;
  SeqState& s = it->second;
  s.remaining -= std::min<uint64_t>(s.remaining, d.count);
  if (s.remaining > 0) return;
  auto seg = segments_.find(s.segment);
  if (seg != segments_.end() && seg->second.live > 0) --seg->second.live;
  seqs_.erase(it);
  live_.fetch_sub(1, std::memory_order_relaxed);
}

void SegmentLedger::compact(uint32_t active) {
  bool removed = false;
  while (!segments_.empty()) {
    auto it = segments_.begin();
    if (it->first == active || it->second.live > 0) break;
    if (::unlink(it->second.path.c_str()) != 0 && errno != ENOENT) {
      PGW_LOG(log_, Warn, "cannot delete %s: %s", it->second.path.c_str(), std::strerror(errno));
      break;
    }
    segments_.erase(it);
    removed = true;
  }
  if (removed) segment_count_.store(segments_.size(), std::memory_order_relaxed);
}

}  // namespace pushgw::spool
