// Start-up replay of the durable spool: every request the previous process
// accepted but did not finish is parsed again from its journaled line and
// only its recipients without a final outcome are queued (at least once:
// what was in flight at the crash is sent again).
//
// Recipient indices in the spool are positions among a notification's
// accepted recipients, so they are only meaningful when the line parses to
// the same count as before. When the config changed in between (an app was
// removed, a limit changed), an entry whose count differs is sent in full,
// and an entry that no longer parses is dropped with a warning.
#include <algorithm>

#include "daemon/gateway.h"
#include "ingest/send.h"
#include "spool/spool.h"

namespace pushgw::daemon {

size_t Gateway::replay(std::vector<spool::Unfinished> items) {
  if (!d_.spool) return 0;
  size_t queued = 0, dropped = 0;
  const int64_t now_ms = d_.clock->now_ms();
  const int64_t mono = d_.clock->mono_ns();
  for (spool::Unfinished& u : items) {
    Result<void> parsed_line = parser_.parse(u.line);
    // Expiry, send_at and quiet hours are decided at the original
    // acceptance time, so the same recipients are sent now as then. What was
    // deferred then is not stored again: it was stored before the request
    // was answered (and may have been sent since).
    auto parsed = parsed_line.ok()
                      ? ingest::parse_send(parser_.root(), d_.apps->directory, u.accepted_ms, policy_)
                      : Result<ingest::SendRequest>(parsed_line.error());
    if (!parsed.ok()) {
      PGW_LOG(log_, Warn, "spool replay: request %llu no longer parses (%s); %llu recipients dropped",
              static_cast<unsigned long long>(u.seq), parsed.error().code.c_str(),
              static_cast<unsigned long long>(u.remaining()));
      dropped += u.remaining();
      continue;
    }
    spool::Unfinished keep;
    keep.seq = u.seq;
    keep.accepted_ms = u.accepted_ms;
    keep.line = u.line;
    for (auto& up : parsed.value().batches) {
      if (!up->journaled) continue;  // expired at ingest: final then, never journaled
      auto rec = std::find_if(u.batches.begin(), u.batches.end(),
                              [&](const spool::UnfinishedBatch& x) { return x.n == up->n; });
      if (rec == u.batches.end()) continue;  // finished, or had nobody accepted back then
      const auto count = static_cast<uint32_t>(up->recipients.size());
      const bool same = rec->count == count;
      auto only = std::make_shared<std::vector<uint32_t>>();
      for (uint32_t i = 0; i < count; ++i)
        if (!same || !rec->is_done(i)) only->push_back(i);
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
      accepted_[static_cast<int>(b->platform)] += only->size();
      queued += only->size();
      backlog_.push_back(BacklogItem{b, 0, rr_++, std::move(only)});
    }
    for (const auto& rec : u.batches)
      if (rec.count > 0) dropped += rec.count - rec.done_count();
    if (!keep.batches.empty()) d_.spool->rejournal(keep);
  }
  if (dropped > 0)
    PGW_LOG(log_, Warn, "spool replay: %zu recipients dropped (their app or entry no longer parses)", dropped);
  PGW_LOG(log_, Info, "spool replay: %zu requests, %zu recipients queued", items.size(), queued);
  if (!backlog_.empty()) pump();
  return queued;
}

}  // namespace pushgw::daemon
