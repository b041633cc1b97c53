// Per-token send counts that are in the send log (send_log.h) but not yet in
// the token rows: what the `token` op adds to a row until compaction writes
// it. Keyed by a SipHash of (platform, app, token) under a secret of this
// process, so the table holds no token bytes: 32 bytes per token in an
// open-addressing table kept at most half full (<= 64 bytes per token).
// The table is rebuilt from the log at start, so the key never needs to
// outlive the process. Two tokens share an entry only if their 64-bit keys
// collide (about n^2 / 2^65 for n logged tokens: 1e-8 at 500,000), and then
// only their pending counts mix, never a verdict.
//
// The campaign of a token's latest send is kept once per distinct name, with
// a count of the entries that name it, so the names held are bounded by the
// entries.
//
// add() only stages the delta (a sequential append of 40 bytes): folding it
// into the table is a random access per token, which a flush in the middle
// of a send burst should not pay. The staged deltas are folded by the first
// read, erase or subtraction after them (a `token` op, a forget, the
// compaction at idle), so every answer is exact.
//
// Threads: store thread only.
#pragma once
#include <cstddef>
#include <cstdint>
#include <deque>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "pushgw/platform.h"
#include "store/backend.h"
#include "store/block_store.h"
#include "store/key_hash.h"

namespace pushgw::store::detail {

class LoggedSends {
 public:
  // key: the same secret as the tallies' (send_tally.h), so a flushed row's
  // SendDelta::key is this table's key too.
  explicit LoggedSends(const HashKey& key);

  uint64_t key(Platform p, std::string_view app, std::string_view token) const;
  // Adds a delta to the token's counts (staged; see above).
  void add(uint64_t key, const SendDelta& d);
  // Takes a delta that compaction wrote to the row off again; the entry
  // goes when nothing is left of it.
  void subtract(uint64_t key, const SendDelta& d);
  // The token's logged counts (platform, app and token left empty; the
  // campaign view is valid until the next change).
  std::optional<SendDelta> find(uint64_t key);
  bool erase(uint64_t key);

  // Tokens with logged counts; while deltas are staged, an upper bound (a
  // token staged twice counts twice until folded).
  size_t tokens() const { return live_ + staged_.size(); }

 private:
  struct Slot {
    uint64_t key;  // 0 = empty (key() never returns 0)
    uint32_t sent, delivered, failed, campaign;
    int64_t first_at, last_at;
  };
  struct Staged {
    uint64_t key;
    uint32_t sent, delivered, failed, campaign;  // campaign: interned at add()
    int64_t first_at, last_at;
  };
  void fold();
  void fold_one(const Staged& d);
  size_t probe(uint64_t key) const;
  void grow();
  void remove_at(size_t i);
  uint32_t intern(std::string_view campaign);
  void release(uint32_t campaign);

  HashKey hash_key_;
  std::vector<Slot> slots_;
  size_t live_ = 0;
  BlockArray<Staged> staged_;  // blocks: staging never copies what is staged (block_store.h)
  // Campaign names: index 0 is "" (never released).
  struct Name {
    std::string text;
    uint64_t refs = 0;
  };
  // A deque: by_name_'s keys view the texts, which must not move (a short
  // name lives inside its Name).
  std::deque<Name> names_;
  std::vector<uint32_t> free_names_;
  std::unordered_map<std::string_view, uint32_t> by_name_;
  uint32_t last_name_ = 0;  // the campaign interned last: most rows of a flush share it
};

}  // namespace pushgw::store::detail
