#include "spool/replay.h"

#include <algorithm>

namespace pushgw::spool {

void normalize_ranges(std::vector<std::pair<uint32_t, uint32_t>>& r, uint32_t count) {
  for (auto& [a, b] : r) {
    a = std::min(a, count);
    b = std::min(b, count);
  }
  r.erase(std::remove_if(r.begin(), r.end(), [](const auto& p) { return p.first >= p.second; }), r.end());
  std::sort(r.begin(), r.end());
  size_t w = 0;
  for (size_t i = 0; i < r.size(); ++i) {
    if (w > 0 && r[i].first <= r[w - 1].second) {
      r[w - 1].second = std::max(r[w - 1].second, r[i].second);
    } else {
      r[w++] = r[i];
    }
  }
  r.resize(w);
}

bool UnfinishedBatch::is_done(uint32_t idx) const {
  auto it = std::upper_bound(done.begin(), done.end(), std::make_pair(idx, UINT32_MAX));
  if (it == done.begin()) return false;
  --it;
  return idx >= it->first && idx < it->second;
}

uint32_t UnfinishedBatch::done_count() const {
  uint32_t c = 0;
  for (const auto& [a, b] : done) c += b - a;
  return c;
}

uint64_t Unfinished::remaining() const {
  uint64_t r = 0;
  for (const auto& b : batches) r += b.count - b.done_count();
  return r;
}

void ReplayIndex::add_accepted(AcceptedRecord&& a) {
  note_seq(a.seq);
  Unfinished& u = reqs_[a.seq];
  std::vector<UnfinishedBatch> next;
  next.reserve(a.batches.size());
  for (const BatchCount& bc : a.batches) {
    UnfinishedBatch nb;
    nb.n = bc.n;
    nb.count = bc.count;
    for (auto& old : u.batches)
      if (old.n == bc.n && old.count == bc.count) nb.done = std::move(old.done);
    next.push_back(std::move(nb));
  }
  u.seq = a.seq;
  u.accepted_ms = a.accepted_ms;
  u.line = std::move(a.line);
  u.batches = std::move(next);
  auto orphan = orphans_.find(a.seq);
  if (orphan != orphans_.end()) {
    std::vector<DoneRange> pending = std::move(orphan->second);
    orphans_.erase(orphan);
    for (const DoneRange& d : pending) add_done(d);
  }
}

void ReplayIndex::add_done(const DoneRange& d) {
  note_seq(d.seq);
  auto it = reqs_.find(d.seq);
  if (it == reqs_.end()) {
    // Normally the request finished and its segment was compacted away; the
    // ranges are then useless but harmless. Keep a bounded few in case the
    // accepted record follows (it never does when written by Spool).
    auto& v = orphans_[d.seq];
    if (v.size() < 4096) v.push_back(d);
    return;
  }
  for (UnfinishedBatch& b : it->second.batches) {
    if (b.n != d.n) continue;
    if (d.first >= b.count || d.count == 0) return;
    const uint64_t end = std::min<uint64_t>(uint64_t{d.first} + d.count, b.count);
    b.done.emplace_back(d.first, static_cast<uint32_t>(end));
    // Merge now and then (at powers of two, so the cost stays amortized
    // linear): ranges mostly arrive in order and collapse into a few.
    const size_t sz = b.done.size();
    if (sz >= 64 && (sz & (sz - 1)) == 0) normalize_ranges(b.done, b.count);
    return;
  }
}

SegmentScan replay_segment(std::string_view data, ReplayIndex& index) {
  SegmentScan scan;
  uint64_t header_seq = 0;
  if (!decode_segment_header(data, header_seq)) return scan;
  scan.header_ok = true;
  index.note_seq(header_seq > 0 ? header_seq - 1 : 0);
  scan.pos = kSegmentHeaderBytes;
  RecordView rec;
  std::vector<DoneRange> ranges;
  while ((scan.end = next_record(data, scan.pos, rec)) == ReadStatus::Ok) {
    if (rec.type == RecordType::Accepted) {
      AcceptedRecord a;
      if (decode_accepted(rec.payload, a)) index.add_accepted(std::move(a));
    } else {
      ranges.clear();
      if (decode_done(rec.payload, ranges))
        for (const DoneRange& r : ranges) index.add_done(r);
    }
  }
  return scan;
}

std::vector<Unfinished> ReplayIndex::take_unfinished() {
  std::vector<Unfinished> out;
  for (auto& [seq, u] : reqs_) {
    for (auto& b : u.batches) normalize_ranges(b.done, b.count);
    if (u.remaining() > 0) out.push_back(std::move(u));
  }
  reqs_.clear();
  orphans_.clear();
  return out;
}

}  // namespace pushgw::spool
