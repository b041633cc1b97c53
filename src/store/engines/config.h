// [store]: which engine holds the store and its settings. Parsed by the store
// (the engine checks its own part: the PostgreSQL DSN's syntax is libpq's).
#pragma once
#include <cstdint>
#include <string>

#include "config/section.h"

namespace pushgw::store {

enum class StoreBackend : uint8_t { Sqlite, Postgres };

struct StoreConfig {
  StoreBackend backend = StoreBackend::Sqlite;  // [store] backend = "sqlite" | "postgres"
  std::string path = "/var/lib/pushgw/pushgw.db";  // sqlite only
  // postgres only: a libpq connection string (keywords or URI). It may hold a
  // password: never log it (store::detail::redact_dsn).
  std::string dsn;
  int keep_events_days = 30;
  // Per-token sent/delivered/failed counts, last_sent_at and last campaign
  // (one store write per recipient). false: only verdicts (invalid,
  // unsubscribed) and failures are written, which is cheaper at scale.
  bool track_sends = true;
  // How often the per-token send counters summed in memory are written
  // (StoreOptions::send_flush_ms): the file lags the `token` op by this much;
  // a crash loses at most this window of counters, a clean stop nothing.
  int send_flush_ms = 2000;
  // SQLite: flushes append to the send log, whose counts reach the token rows
  // when the store is idle (store/send_log.h). false: every flush writes the
  // rows at once (as PostgreSQL does). The log is still read at start.
  bool send_log = true;
  // ... and written into the rows even under load while it holds more than
  // this many tokens (its memory: <= 64 bytes per token).
  int send_log_tokens = 524288;
  // The store counts as idle (compaction may run) after this long without
  // an outcome to write.
  int send_log_idle_ms = 250;
};

// Parses [store]; problems go to s.
StoreConfig parse_config(config::Section& s);

}  // namespace pushgw::store
