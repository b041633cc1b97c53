// Replay: what a spool's records say is still to be done. Pure (no I/O), fed
// record by record in file order by Spool::open (and by tests and fuzzing).
#pragma once
#include <cstdint>
#include <map>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "spool/record.h"

namespace pushgw::spool {

struct UnfinishedBatch {
  uint32_t n = 0;
  uint32_t count = 0;                                 // accepted recipients of entry n
  std::vector<std::pair<uint32_t, uint32_t>> done;    // sorted, disjoint [first, end) within [0, count)
  bool is_done(uint32_t idx) const;
  uint32_t done_count() const;
};

// One accepted request with at least one recipient not final.
struct Unfinished {
  uint64_t seq = 0;
  int64_t accepted_ms = 0;
  std::string line;                    // the request line as received
  std::vector<UnfinishedBatch> batches;
  uint64_t remaining() const;          // recipients still to send
};

class ReplayIndex {
 public:
  // A later Accepted record for a seq already seen (a replay copy written
  // before a crash) replaces line and counts; done ranges of an entry are
  // kept only when its count is unchanged.
  void add_accepted(AcceptedRecord&& a);
  void add_done(const DoneRange& d);
  // Highest sequence number named by any record or segment header.
  uint64_t max_seq() const { return max_seq_; }
  void note_seq(uint64_t s) { max_seq_ = std::max(max_seq_, s); }
  // Requests with work left, in sequence order; the index is emptied.
  std::vector<Unfinished> take_unfinished();

 private:
  std::map<uint64_t, Unfinished> reqs_;
  std::unordered_map<uint64_t, std::vector<DoneRange>> orphans_;  // done before accepted (never written so; tolerated)
  uint64_t max_seq_ = 0;
};

// How reading one segment file ended.
struct SegmentScan {
  bool header_ok = false;            // false: no valid header, nothing was read
  ReadStatus end = ReadStatus::End;  // End, or the Torn/Corrupt record that stopped it
  size_t pos = 0;                    // offset where reading stopped
};

// Feeds every valid record of one segment file's bytes, in order, into
// index (records whose payload does not decode are skipped); stops at the
// first torn or corrupt record. What Spool::open does per file.
SegmentScan replay_segment(std::string_view data, ReplayIndex& index);

// Sorts and merges ranges, clipping them to [0, count).
void normalize_ranges(std::vector<std::pair<uint32_t, uint32_t>>& r, uint32_t count);

}  // namespace pushgw::spool
