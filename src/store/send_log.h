// The send log: how per-token send counts reach the database without a
// B-tree write per new token while sends are flowing (issue 17).
//
// A flush of the send tally (pending_sends.h) no longer writes token rows:
// it appends its key-ordered deltas as one blob per chunk (send_log_codec.h)
// to the engine's log table, one short transaction each, so the counts are
// on disk within send_flush_ms as before. Compaction writes an entry's rows
// into the token rows and deletes the entry in one transaction (exactly
// once, whatever crashes when), oldest entry first, one entry per pass of
// the store loop:
// - when the store has drained no outcome for send_log_idle_ms (between
//   campaigns: the work moves out of the send burst, it is not skipped);
// - always while the log holds more than max_tokens tokens (memory bound);
// - on Store::flush_sends().
// Until then the `token` op adds the logged counts (logged_sends.h) to the
// row, so it stays exact; only `stats.store.tokens` and the token rows lag.
//
// forget: the token's logged counts leave memory at once, and a forget
// record (the token, and the newest entry it covers) is written in the same
// transaction as the row's deletion, so neither compaction nor the replay at
// start brings them back.
//
// Start: the log is read back into memory (a clean stop leaves it as it is:
// the counts are durable in it). An entry that does not decode is reported
// and dropped with its counts.
//
// Threads: store thread (and Store::load before it starts).
#pragma once
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "obs/log.h"
#include "pushgw/platform.h"
#include "pushgw/result.h"
#include "store/backend.h"
#include "store/logged_sends.h"
#include "store/types.h"

namespace pushgw::store::detail {

class SendLog {
 public:
  // appends = false ([store] send_log = false): flushes write the rows
  // themselves; an existing log is still read and compacted.
  // key: the tallies' hash secret (SendDelta::key).
  SendLog(size_t max_tokens, bool appends, const HashKey& key)
      : max_tokens_(max_tokens), appends_(appends), logged_(key) {}

  // Start-up: takes the engine's log (none: the engine writes rows at every
  // flush, and this class stays empty) and reads it into memory.
  Result<void> load(Backend& db, const obs::Logger& log);
  bool enabled() const { return ops_ != nullptr; }
  bool appends() const { return ops_ != nullptr && appends_; }

  // Inside the flush's open transaction: rows become one entry.
  Result<void> append(const std::vector<SendDelta>& rows);
  // That transaction committed: the rows count from the log now.
  void appended(const std::vector<SendDelta>& rows);

  bool should_compact(bool idle) const { return entries_ > 0 && (idle || full()); }
  // Writes the oldest entry into the rows, in a transaction of its own.
  // Returns false when there was nothing to do.
  Result<bool> compact_one(Backend& db, TxnDelta& d, const obs::Logger& log);

  void merge_into(TokenState& t, Platform p, std::string_view app, std::string_view token);
  // The forget op's database part: deletes the row (Backend::forget) and,
  // when the token has logged counts, records the forget in the same
  // transaction. pending: it had logged counts.
  Result<std::optional<int>> forget(Backend& db, Platform p, std::string_view app, std::string_view token,
                                    bool& pending);

  size_t tokens() const { return logged_.tokens(); }
  bool full() const { return logged_.tokens() > max_tokens_; }

 private:
  // Did a forget cover this token's counts in entry seq?
  bool forgotten(uint64_t key, int64_t seq) const;
  void replay(int64_t seq, std::string_view body, const obs::Logger& log);

  const size_t max_tokens_;
  const bool appends_;
  SendLogOps* ops_ = nullptr;
  LoggedSends logged_;
  std::unordered_map<uint64_t, int64_t> forgets_;  // key -> newest entry covered
  int64_t last_seq_ = 0;
  size_t entries_ = 0;
  std::string body_;
  std::string text_;  // packed tokens of the entry in rows_, spelled out (send_log_codec.h)
  std::vector<SendDelta> rows_, kept_;
  struct SortKey {
    uint64_t prefix;  // prefix8 of the token
    uint32_t row;     // in rows_
  };
  std::vector<SortKey> order_;
};

}  // namespace pushgw::store::detail
