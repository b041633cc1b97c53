// Value types of the store's public API (see store.h for the Store itself).
#pragma once
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "pushgw/platform.h"

namespace pushgw::store {

// What a sender reports per recipient. One outcome per recipient and final
// result: Delivered, Failed, Invalid and Unsubscribed each also count as one
// send (sent += 1, last_sent_at, last_campaign), so a caller never records Sent
// and then a verdict for the same recipient. Sent is for a send whose result
// is not reported (it only counts the send). Reactivated (APNs: the recipient
// carried registered_at_ms later than the stored since) sets an invalid or
// unsubscribed token back to active; it is not a send and does not create a
// token row.
// Campaign policy: MarketingSent is no outcome: it records that a marketing
// send was admitted under the frequency caps, so the caps survive a restart.
// Suppressed, Capped and Expired (recorded only for a campaign) are not sends
// either: they only count in the campaign's report.
enum class Kind : uint8_t {
  Sent, Delivered, Failed, Invalid, Unsubscribed, Reactivated, MarketingSent, Suppressed, Capped, Expired
};

// Views are copied into the ring by record(); nothing is kept after it returns.
struct Outcome {
  Platform platform = Platform::Apns;
  std::string_view app;
  std::string_view token;     // device token, FCM token, or Web Push endpoint
  std::string_view campaign;  // "" = none
  Kind kind = Kind::Sent;
  std::string_view reason;    // provider reason ("Unregistered", "UNREGISTERED", "404", ...)
  int64_t since_ms = 0;       // Invalid/Unsubscribed: provider timestamp (APNs 410), 0 = use at_ms.
                              // Reactivated: the recipient's registered_at_ms.
  int64_t at_ms = 0;          // verdict time; 0 = the store's clock at record()
  // Store::key(platform, app, token) when the caller already has it (the
  // sender computed it for Store::check), so the store does not hash the
  // token again; 0 = unknown, the store computes it.
  uint64_t key = 0;
};

// state: "active" | "invalid" | "unsubscribed" | "unknown" (no row: never
// recorded, or forgotten).
struct TokenState {
  std::string state;
  std::string reason;
  int64_t since_ms = 0;
  uint64_t sent = 0, delivered = 0, failed = 0;
  int64_t last_sent_at_ms = 0;
  std::string last_campaign;
};

// kind: "invalid" | "unsubscribed".
struct Event {
  uint64_t seq = 0;
  int64_t at_ms = 0;
  Platform platform = Platform::Apns;
  std::string app, token, kind, reason, campaign;
};

// next = last returned seq + 1, or the requested `since` when none.
struct FeedbackPage {
  std::vector<Event> events;
  uint64_t next = 0;
};

// Counts reflect committed data (plus, for suppression, what record() applied).
struct StoreStats {
  uint64_t tokens = 0, invalid = 0, unsubscribed = 0, events = 0;
  uint64_t backlog = 0;              // recorded, not yet committed (all rings)
  uint64_t committed_outcomes = 0;   // since open
  uint64_t transactions = 0;         // data transactions committed since open
  uint64_t barriers = 0;             // extra sync-only commits for after_commit
  uint64_t dropped = 0;              // outcomes refused as oversized (token > 8 KiB, app > 255 B)
  uint64_t write_errors = 0;         // failed commits (retried; nothing lost unless the store closes)
  int64_t failing_since_ms = 0;      // epoch ms of the first failed commit of an ongoing outage; 0 = none
  uint64_t pruned_events = 0;        // removed by retention since open
  uint64_t send_flushes = 0;         // transactions that wrote the summed per-token send counters
  uint64_t pending_send_tokens = 0;  // tokens whose send counters wait for the next such flush
  uint64_t send_log_tokens = 0;      // tokens whose flushed counters are in the send log, not yet in their rows
  size_t suppressed_entries = 0, suppression_bytes = 0;
};

// Campaign policy: engagement events reported by upstream (op "event").
enum class Engagement : uint8_t { Open, Click, Conversion };
struct EngagementEvent {
  std::string campaign;
  Platform platform = Platform::Apns;
  std::string app, token;
  Engagement kind = Engagement::Open;
  int64_t at_ms = 0;
};

// Per-campaign counters (op "campaign"). found: the store has a row.
struct CampaignReport {
  bool found = false;
  uint64_t sent = 0, delivered = 0, failed = 0, invalid = 0, unsubscribed = 0, suppressed = 0, capped = 0,
           expired = 0, opened = 0, clicked = 0, converted = 0;
};

// Tuning knobs; the defaults are what the daemon uses.
struct StoreOptions {
  size_t ring_slots = 8192;               // per producer, 256 B each
  size_t ring_arena_bytes = size_t{1} << 20;  // per producer, for long tokens/endpoints
  uint32_t batch_max = 4096;              // outcomes per transaction at most
  int commit_interval_ms = 50;            // an outcome waits at most this long for its commit
  uint32_t prune_chunk = 1000;            // events deleted per retention step
  int64_t prune_interval_ms = 60'000;     // store clock time between retention passes
  int follow_interval_ms = 100;           // shared database: how often to read the other instances' changes
  int keep_events_days = 30;              // event retention ([store] keep_events_days); <= 0 keeps them all
  // Per-token send counters (sent, delivered, failed, last_sent_at, last
  // campaign) are summed in memory and written as one transaction of
  // key-ordered rows at most this often (send_tally.h); the `token` op merges
  // what is pending, so only the database file lags by this much.
  int send_flush_ms = 2000;
  // ... or as soon as this many tokens are pending. Small enough that the
  // tally's tables (~2 MB) stay in cache during a burst: with the send log a
  // flush is one append, so flushing often is cheap.
  size_t send_tally_tokens = 32768;
  // Engines with a send log (SQLite, send_log.h): the flushes append to it and
  // its counts reach the token rows when the store is idle, or at once while
  // it holds the counts of more than this many tokens (<= 64 B of memory each).
  size_t send_log_tokens = 524288;
  bool send_log = true;  // false: flushes write the rows at once (an existing log is still compacted)
  int send_log_idle_ms = 250;  // the store is idle (compaction may run) after this long without outcomes
};

}  // namespace pushgw::store
