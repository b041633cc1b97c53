#include "admission/replay.h"

#include <algorithm>
#include <memory>

namespace pushgw::admission {
namespace {

struct Counts {
  size_t queued = 0, dropped = 0;
};

// The recipients of one journaled entry still to send: all of them when the
// entry now parses to another count, else those not marked done.
std::shared_ptr<std::vector<uint32_t>> left_to_send(const spool::UnfinishedBatch& rec, uint32_t count) {
  auto only = std::make_shared<std::vector<uint32_t>>();
  const bool same = rec.count == count;
  for (uint32_t i = 0; i < count; ++i)
    if (!same || !rec.is_done(i)) only->push_back(i);
  return only;
}

// One unfinished request: queues its entries' open recipients; fills `keep`
// with what is journaled again.
void replay_one(spool::Unfinished& u, ingest::SendRequest& req, Admission& admission, int64_t now_ms, int64_t mono,
                spool::Unfinished& keep, Counts& n) {
  for (auto& up : req.batches) {
    if (!up->journaled) continue;  // expired at ingest: final then, never journaled
    auto rec = std::find_if(u.batches.begin(), u.batches.end(),
                            [&](const spool::UnfinishedBatch& x) { return x.n == up->n; });
    if (rec == u.batches.end()) continue;  // finished, or had nobody accepted back then
    const auto count = static_cast<uint32_t>(up->recipients.size());
    const bool same = rec->count == count;
    auto only = left_to_send(*rec, count);
    rec->count = 0;  // consumed (what is left with a count is reported dropped below)
    if (only->empty()) continue;
    keep.batches.push_back(spool::UnfinishedBatch{up->n, count, same ? rec->done : decltype(rec->done){}});
    Batch* b = up.release();
    b->wait = false;  // nobody waits for a replayed request
    b->results.clear();
    b->request_id = u.seq;
    b->accepted_ms = now_ms;  // a fresh retry window (expiry stays absolute)
    b->accepted_mono_ns = mono;
    b->pending.store(static_cast<uint32_t>(only->size()), std::memory_order_relaxed);
    n.queued += only->size();
    admission.enqueue_replayed(b, std::move(only));
  }
  for (const auto& rec : u.batches)
    if (rec.count > 0) n.dropped += rec.count - rec.done_count();
}

}  // namespace

size_t replay_spool(std::vector<spool::Unfinished> items, spool::Spool& spool, Admission& admission,
                    const Clock& clock, const obs::Logger& log) {
  Counts n;
  const int64_t now_ms = clock.now_ms();
  const int64_t mono = clock.mono_ns();
  for (spool::Unfinished& u : items) {
    // Expiry, send_at and quiet hours are decided at the original
    // acceptance time, so the same recipients are sent now as then. What was
    // deferred then is not stored again: it was stored before the request
    // was answered (and may have been sent since).
    auto parsed = admission.parse_line(u.line, u.accepted_ms);
    if (!parsed.ok()) {
      PGW_LOG(log, Warn, "spool replay: request %llu no longer parses (%s); %llu recipients dropped",
              static_cast<unsigned long long>(u.seq), parsed.error().code.c_str(),
              static_cast<unsigned long long>(u.remaining()));
      n.dropped += u.remaining();
      continue;
    }
    spool::Unfinished keep;
    keep.seq = u.seq;
    keep.accepted_ms = u.accepted_ms;
    keep.line = u.line;
    replay_one(u, parsed.value(), admission, now_ms, mono, keep, n);
    if (!keep.batches.empty()) spool.rejournal(keep);
  }
  if (n.dropped > 0)
    PGW_LOG(log, Warn, "spool replay: %zu recipients dropped (their app or entry no longer parses)", n.dropped);
  PGW_LOG(log, Info, "spool replay: %zu requests, %zu recipients queued", items.size(), n.queued);
  admission.pump();
  return n.queued;
}

}  // namespace pushgw::admission
