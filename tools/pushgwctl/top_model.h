// pushgwctl top: what one `stats` answer says (TopSample) and the screen a
// history of them gives (render_top). Pure functions, unit-tested without a
// daemon or a terminal; commands_top.cc does the polling and drawing.
#pragma once
#include <array>
#include <cstdint>
#include <deque>
#include <string>
#include <string_view>
#include <vector>

#include "pushgw/result.h"

namespace pushgw::ctl {

// Per platform or app: the stats counters top shows, by column.
enum TopCounter : size_t {
  kAccepted, kDelivered, kFailed, kInvalid, kUnsubscribed, kSuppressed, kCapped, kExpired, kRetried, kTopCounters
};
using TopCounts = std::array<uint64_t, kTopCounters>;
// Recipients that reached a final outcome (every counter but accepted and retried).
uint64_t finals(const TopCounts& c);

struct TopLatency {
  double p50 = 0, p99 = 0;  // ms
  bool known = false;
};

struct TopRow {
  std::string platform;
  std::string app;  // "" for a platform's total row
  TopCounts counts{};
  TopLatency provider;  // apps only
};

struct TopSample {
  double at_s = 0;  // monotonic seconds when the answer arrived
  std::vector<TopRow> platforms;
  std::vector<TopRow> apps;  // absent from older daemons: empty
  uint64_t queue_depth = 0, max_queued = 0, connections = 0, streams = 0, workers = 0;
  TopLatency e2e, gateway, provider;
  bool has_store = false, has_spool = false, spool_failed = false;
  uint64_t store_backlog = 0, spool_live = 0;
  size_t breakers_open = 0;
  std::vector<std::string> breakers;  // one line per breaker that opened
  bool has_suspect = false;           // the daemon reports "suspect" (issue 13)
  std::vector<std::string> suspect;   // one line per suspect app
};

// Parses a stats answer; fields a daemon does not send keep their defaults.
Result<TopSample> parse_top_sample(std::string_view response, double at_s);

struct TopHeader {
  std::string socket;
  std::string clock;  // "2026-12-06 06:45:12 UTC"
  double interval_s = 1;
};

// The screen for the newest sample: rates over the last interval, the
// outcome mix over the whole history (oldest to newest; the caller keeps
// about ten seconds of it). history must not be empty. Lines carry no '\n'.
std::vector<std::string> render_top(const std::deque<TopSample>& history, const TopHeader& header);

}  // namespace pushgw::ctl
