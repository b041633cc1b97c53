// The store thread's per-token send counters between flushes: the tally
// sends are added to, and the one being written (send_tally.h).
//
// A flush takes the whole tally as a snapshot (begin_flush) and writes it in
// key order in chunks of at most batch_max rows, one transaction each, so the
// store thread drains the outcome rings between chunks instead of stalling
// them for the whole write. Sends arriving meanwhile go to a fresh tally.
// Reads merge both (rows already written are no longer pending), forget
// drops a token from both. With an engine that has a send log (send_log.h),
// "written" means appended to the log, and the log's counts merge too.
//
// Threads: store thread only.
#pragma once
#include <cstddef>
#include <string_view>
#include <vector>

#include "store/send_log.h"
#include "store/send_tally.h"

namespace pushgw::store::detail {

class PendingSends {
 public:
  // key: the secret of both tallies and the log's table. The Writer passes
  // the store's (Store::key), so a record's RecordView::key, computed by the
  // sender for its suppression check, is the tally's hash as it comes.
  PendingSends(size_t max_tokens, size_t log_tokens, bool log_appends, const HashKey& key = random_hash_key())
      : a_(max_tokens, key), b_(max_tokens, key), log_(log_tokens, log_appends, key) {}

  void add(const RecordView& r) { active_->add(r); }
  // The logged counts (empty unless the engine has a send log).
  SendLog& log() { return log_; }
  // The token's state as read from the database plus everything pending.
  // (Not const: the log folds what it staged first; logged_sends.h.)
  void merge_into(TokenState& t, Platform p, std::string_view app, std::string_view token);
  // forget(): true when the token had pending sends.
  bool erase(Platform p, std::string_view app, std::string_view token);

  size_t tokens() const { return active_->tokens() + writing_->tokens(); }
  bool empty() const { return tokens() == 0; }
  bool active_empty() const { return active_->empty(); }
  bool active_full() const { return active_->full(); }
  bool flushing() const { return next_ < rows_->size(); }

  // Makes the active tally the one being written (nothing must be flushing),
  // in key order, or (ordered = false, for the send log) as it is.
  void begin_flush(bool ordered = true);
  // The next rows to write (at most n, in key order; empty when done).
  const std::vector<SendDelta>& next_chunk(size_t n);
  // The rows next_chunk() returned are committed: no longer pending.
  void chunk_written();

 private:
  SendTally a_, b_;
  SendLog log_;
  SendTally* active_ = &a_;
  SendTally* writing_ = &b_;
  const std::vector<SendDelta>* rows_ = &none_;
  std::vector<SendDelta> none_, chunk_;
  size_t next_ = 0, chunk_end_ = 0;
};

}  // namespace pushgw::store::detail
