// The token rows and their feedback change-feed, reached through the store
// thread: what the admin ops `feedback`, `token` and `forget` ask of the
// store. Each runs after every outcome recorded before the call is committed
// (read-your-writes; a forget is not undone by an older verdict still in a
// ring). Callbacks run on the store thread (see store.h). Got from
// Store::tokens(); lives as long as the Store.
#pragma once
#include <cstdint>
#include <functional>
#include <string>

#include "pushgw/platform.h"
#include "pushgw/result.h"
#include "store/key_hash.h"
#include "store/types.h"

namespace pushgw::store {

class SuppressionSet;
namespace detail {
class Writer;
struct Counters;
}  // namespace detail

class Tokens {
 public:
  Tokens(detail::Writer& writer, SuppressionSet& set, detail::Counters& counters, const HashKey& key)
      : writer_(writer), set_(set), counters_(counters), key_(key) {}
  Tokens(const Tokens&) = delete;
  Tokens& operator=(const Tokens&) = delete;

  // limit 0 means 1000; at most 10000 per page. Serves only durable events:
  // it runs after a barrier when something committed may not be synced yet
  // (always on a shared database).
  void feedback(uint64_t since, uint32_t limit, std::function<void(Result<FeedbackPage>)> cb);
  // The row as stored plus the sends not yet flushed to it (send_tally.h);
  // state "unknown" (and zero counts) when the store has no row for the token.
  void token(Platform p, std::string app, std::string token, std::function<void(Result<TokenState>)> cb);
  // Lifts suppression now (on the calling thread); deletes the token row on
  // the store thread; events stay. cb(true) when there was a row.
  void forget(Platform p, std::string app, std::string token, std::function<void(Result<bool>)> cb);

 private:
  detail::Writer& writer_;
  SuppressionSet& set_;
  detail::Counters& counters_;
  const HashKey& key_;
};

}  // namespace pushgw::store
