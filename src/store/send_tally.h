// Per-token send counters kept in memory on the store thread between flushes
// (issue 17: per-token tracking without a B-tree write per send).
//
// The Writer folds every Sent/Delivered/Failed outcome into the tally instead
// of writing the token row, and every send_flush_ms (or when the tally holds
// send_tally_tokens tokens, or at stop) writes all of it as one transaction of
// coalesced deltas in key order (Backend::apply_sends): one row write per
// token per flush instead of one per send, in B-tree order. Reads of a token
// merge its pending delta (merge_pending), forget drops it, so the `token` op
// stays exact; only the database file lags, by at most the flush interval
// (plus the time a failed flush backs off). A crash loses the pending counts;
// a clean stop writes them. Verdicts never go through the tally.
//
// Memory: no allocation per send once the tables have grown to the working
// set (clear() keeps capacity; entries and strings grow by blocks, without
// copying what they hold). About 56 bytes per token plus its token bytes,
// 8 bytes of index and 16 of sort keys; an app name is kept once.
//
// Threads: store thread only.
#pragma once
#include <cstddef>
#include <climits>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "pushgw/platform.h"
#include "store/backend.h"
#include "store/block_store.h"
#include "store/key_hash.h"
#include "store/outcome_ring.h"
#include "store/types.h"

namespace pushgw::store::detail {

// A fresh secret for an in-memory table's keyed hash.
HashKey random_hash_key();
// The first 8 bytes of s, big-endian, zero-padded: integers that order like
// memcmp, so most comparisons of a key-order sort are integer ones.
uint64_t prefix8(std::string_view s);

class SendTally {
 public:
  // max_tokens: full() from this many tokens (or about 256 bytes of strings
  // each) on; the Writer then flushes early.
  // key: the secret of its hash table (PendingSends shares one between its
  // tallies and the send log's table, so a row's key carries over).
  SendTally(size_t max_tokens, const HashKey& key);
  explicit SendTally(size_t max_tokens) : SendTally(max_tokens, random_hash_key()) {}

  static bool counts(Kind k) { return k == Kind::Sent || k == Kind::Delivered || k == Kind::Failed; }
  // Adds one send outcome (counts(r.kind) must hold). r.key, when not 0,
  // must be key_hash() of the record's triple under this tally's secret.
  void add(const RecordView& r);
  // The token's pending delta, if it has one (views valid until the next add/erase/clear).
  std::optional<SendDelta> find(Platform p, std::string_view app, std::string_view token) const;
  // Drops the token's pending delta (forget). Returns whether it had one.
  bool erase(Platform p, std::string_view app, std::string_view token);

  size_t tokens() const { return live_; }
  bool empty() const { return live_ == 0; }
  bool full() const { return live_ >= max_tokens_ || bytes_.size() >= max_bytes_; }
  // Every pending delta, ordered by (platform, app, token) as the engines'
  // primary keys are. Valid until the next add/erase/clear.
  const std::vector<SendDelta>& ordered();
  // The same rows in no particular order (cheaper: no sort), for a flush
  // whose rows are sorted later (send_log.h).
  const std::vector<SendDelta>& rows();
  // Row i of the last ordered(): still pending (not erased or dropped)?
  bool row_live(size_t i) const { return entries_[order_[i]].live; }
  // Rows [from, to) of the last ordered() are written: no longer pending.
  void drop_rows(size_t from, size_t to);
  // After a flush committed: forgets everything, keeps the memory.
  void clear();
  size_t memory_bytes() const;

 private:
  // Tokens are chosen by clients (a Web Push endpoint by any subscriber):
  // the table's hash is keyed by a secret (in the daemon the installation's,
  // Store::key's, so add() takes a record's key as it comes), so no one can
  // aim entries at one probe chain.
  HashKey key_;
  struct Entry {
    uint64_t hash;
    uint32_t token_off, camp_off;  // in bytes_
    uint32_t group;                // (platform, app): groups_
    uint16_t token_len, camp_len;
    bool live;
    int64_t first_at, last_at;
    uint32_t sent, delivered, failed;
  };
  struct Group {
    Platform platform;
    std::string app;
  };
  // For ordered(): group rank, then the token's first 8 bytes big-endian,
  // so most comparisons are integer ones.
  struct SortKey {
    uint64_t prefix;
    uint32_t rank, entry;
  };
  std::string_view token(const Entry& e) const { return bytes_.view(e.token_off, e.token_len); }
  std::string_view campaign(const Entry& e) const { return bytes_.view(e.camp_off, e.camp_len); }
  SendDelta view(const Entry& e) const;
  // The group of (p, app); add = false: npos when there is none.
  static constexpr uint32_t kNoGroup = UINT32_MAX;
  uint32_t group(Platform p, std::string_view app, bool add);
  uint32_t find_group(Platform p, std::string_view app) const;
  // Slot of the key in index_ (holding it, or the empty one where it goes).
  size_t probe(uint64_t hash, uint32_t group, std::string_view token) const;
  void grow();
  uint32_t append(std::string_view s);
  void reserve_rows();

  const size_t max_tokens_, max_bytes_;
  BlockArray<Entry> entries_;  // blocks: filling never copies the table (block_store.h)
  std::vector<uint32_t> index_;  // open addressing: entry + 1, 0 = empty
  TextBlocks bytes_;
  size_t live_ = 0;
  std::vector<Group> groups_;  // kept across clear(): apps are few
  uint32_t last_group_ = kNoGroup;
  std::vector<SortKey> keys_;
  std::vector<uint32_t> order_;
  std::vector<SendDelta> out_;
};

// A token's state as read from the database, with its pending delta added:
// what the row will hold after the next flush.
void merge_pending(TokenState& t, const SendDelta& d);

}  // namespace pushgw::store::detail
