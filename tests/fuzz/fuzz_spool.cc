// libFuzzer target: spool replay, what the daemon reads back after a crash
// (torn tails, corrupt records, replay copies, orphan done ranges). The
// input's first byte picks how the rest becomes segment files:
//   even: raw bytes, one segment as found on disk (header and CRCs included);
//   odd:  a list of records "u16 body_len | body" that are framed with a
//         valid header and CRC, so the decoders and the index see
//         well-formed records with hostile contents (the CRC would
//         otherwise stop almost every mutation at the first record).
// Invariants beyond "no crash":
//   - every decodable payload re-encodes to the same bytes;
//   - take_unfinished() returns requests in ascending seq order, each with
//     work left, its done ranges sorted, disjoint and inside [0, count), and
//     is_done() agreeing with the ranges; max_seq covers every seq;
//   - with small counts, the remaining recipients equal a bitmap model of
//     the documented rules (a later Accepted replaces the counts and keeps
//     the done marks of entries whose count is unchanged).
#include <cstddef>
#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "spool/crc32c.h"
#include "spool/record.h"
#include "spool/replay.h"

namespace {

using namespace pushgw::spool;

void check(bool cond) {
  if (!cond) __builtin_trap();
}

// The documented replay rules on bitmaps; valid while counts stay small.
class Model {
 public:
  void accepted(const AcceptedRecord& a) {
    for (const BatchCount& b : a.batches)
      if (b.count > kMaxModelCount) usable_ = false;  // out of the model's scope
    if (!usable_) return;
    Req& r = reqs_[a.seq];
    std::map<uint32_t, std::vector<bool>> next;
    for (const BatchCount& b : a.batches) {
      if (next.count(b.n)) usable_ = false;  // duplicate entries: out of the model's scope
      auto old = r.marks.find(b.n);
      next[b.n] = old != r.marks.end() && old->second.size() == b.count ? old->second : std::vector<bool>(b.count);
    }
    r.marks = std::move(next);
    r.accepted = true;
    for (const DoneRange& d : orphans_[a.seq]) done(d);
    orphans_.erase(a.seq);
  }
  void done(const DoneRange& d) {
    if (!usable_) return;
    auto it = reqs_.find(d.seq);
    if (it == reqs_.end() || !it->second.accepted) {
      auto& v = orphans_[d.seq];
      if (v.size() < 4096) v.push_back(d);
      return;
    }
    auto m = it->second.marks.find(d.n);
    if (m == it->second.marks.end()) return;
    for (uint64_t i = d.first; i < uint64_t{d.first} + d.count && i < m->second.size(); ++i) m->second[i] = true;
  }
  uint64_t remaining(uint64_t seq) const {
    auto it = reqs_.find(seq);
    if (it == reqs_.end()) return 0;
    uint64_t n = 0;
    for (const auto& [idx, marks] : it->second.marks)
      for (bool b : marks) n += b ? 0 : 1;
    return n;
  }
  std::vector<uint64_t> unfinished() const {
    std::vector<uint64_t> out;
    for (const auto& [seq, r] : reqs_)
      if (remaining(seq) > 0) out.push_back(seq);
    return out;
  }
  bool usable() const { return usable_; }

 private:
  static constexpr uint32_t kMaxModelCount = 4096;
  struct Req {
    bool accepted = false;
    std::map<uint32_t, std::vector<bool>> marks;
  };
  std::map<uint64_t, Req> reqs_;
  std::map<uint64_t, std::vector<DoneRange>> orphans_;
  bool usable_ = true;
};

// Re-encodes decodable payloads (checking they round-trip) and feeds the model.
void check_records(std::string_view data, Model& model) {
  size_t pos = kSegmentHeaderBytes;
  RecordView rec;
  while (next_record(data, pos, rec) == ReadStatus::Ok) {
    std::string again;
    if (rec.type == RecordType::Accepted) {
      AcceptedRecord a;
      if (!decode_accepted(rec.payload, a)) continue;
      encode_accepted(a.seq, a.accepted_ms, a.batches.data(), a.batches.size(), a.line, again);
      model.accepted(a);
    } else {
      std::vector<DoneRange> ranges;
      if (!decode_done(rec.payload, ranges)) continue;
      encode_done(ranges.data(), ranges.size(), again);
      for (const DoneRange& d : ranges) model.done(d);
    }
    check(again.size() == rec.payload.size() + 9 && again.substr(9) == rec.payload);
  }
}

void check_unfinished(const std::vector<Unfinished>& u, uint64_t max_seq) {
  for (size_t i = 0; i < u.size(); ++i) {
    if (i > 0) check(u[i - 1].seq < u[i].seq);
    check(u[i].seq <= max_seq && u[i].remaining() > 0);
    for (const UnfinishedBatch& b : u[i].batches) {
      uint32_t prev_end = 0;
      for (size_t k = 0; k < b.done.size(); ++k) {
        const auto [first, end] = b.done[k];
        check(first < end && end <= b.count && (k == 0 || first > prev_end));
        check(b.is_done(first) && b.is_done(end - 1) && !b.is_done(end));
        if (first > 0) check(!b.is_done(first - 1));
        prev_end = end;
      }
    }
  }
}

// Frames "u16 len | body" items as CRC-valid records behind a valid header.
std::string framed_segment(std::string_view in) {
  std::string seg;
  encode_segment_header(1, seg);
  while (in.size() >= 2) {
    size_t len = static_cast<uint8_t>(in[0]) | size_t{static_cast<uint8_t>(in[1])} << 8;
    in.remove_prefix(2);
    len = std::min(len, in.size());
    if (len == 0) break;
    const std::string_view body = in.substr(0, len);
    in.remove_prefix(len);
    const uint32_t crc = crc32c(body.data(), body.size());
    for (uint32_t v : {static_cast<uint32_t>(len), crc})
      for (int b = 0; b < 4; ++b) seg.push_back(static_cast<char>(v >> (8 * b)));
    seg.append(body);
  }
  seg.append(in);  // what is left: a torn tail
  return seg;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  const std::string_view rest(reinterpret_cast<const char*>(data + 1), size - 1);
  const std::string seg = (data[0] & 1) != 0 ? framed_segment(rest) : std::string(rest);

  ReplayIndex index;
  const SegmentScan scan = replay_segment(seg, index);
  check(scan.pos <= seg.size());
  if (scan.header_ok && scan.end == ReadStatus::End) check(scan.pos == seg.size());
  const uint64_t max_seq = index.max_seq();
  const std::vector<Unfinished> u = index.take_unfinished();
  check_unfinished(u, max_seq);
  check(index.take_unfinished().empty());

  if (!scan.header_ok) return 0;
  Model model;
  check_records(seg, model);
  if (!model.usable()) return 0;
  const std::vector<uint64_t> want = model.unfinished();
  check(want.size() == u.size());
  for (size_t i = 0; i < u.size(); ++i) check(u[i].seq == want[i] && u[i].remaining() == model.remaining(want[i]));
  return 0;
}
