// pushgwd's configuration: every section of the file, each parsed by the
// module it configures ([store] by store/engines, [spool] by spool,
// [delivery] by dispatch, [ingest.redis] by redis) or, for the daemon's own
// and cross-cutting sections ([server], [metrics], [tls], [log], [policy] and
// the apps), here. Assembled into one immutable snapshot by load(); the
// daemon replaces it whole on reload (never mutated in place).
#pragma once
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "dispatch/config.h"
#include "pushgw/result.h"
#include "redis/config.h"
#include "spool/config.h"
#include "store/engines/config.h"

namespace pushgw::settings {

struct ServerConfig {
  std::string socket = "/run/pushgw/pushgw.sock";
  uint32_t socket_mode = 0660;
  int workers = 0;                          // 0 = one per core
  uint64_t max_line_bytes = 16777216;
  uint64_t max_queued = 1'000'000;          // recipients queued before ingest stops reading
  int drain_seconds = 30;
  std::vector<uint32_t> allowed_uids;       // empty: anyone who can open the socket
  std::vector<uint32_t> allowed_gids;
  int64_t max_connections = 1024;           // clients at once; one more is refused with an error line
  int64_t idle_timeout_seconds = 600;       // a client without progress this long is closed; 0 = never
  int64_t max_pipelined_requests = 64;      // unanswered requests per connection before it stops being read
  // Time slice the ingest loop and the senders ask the kernel for
  // (base/sched_slice.h); 0 = the kernel's default. Applied at start.
  int64_t latency_slice_us = 100;
};

struct MetricsConfig {
  std::string listen = "127.0.0.1:9464";    // "" disables
};

struct TlsConfig {
  std::string ca_file;                      // extra trust anchors
};

struct LogConfig {
  std::string level = "info";               // debug | info | warn | error
  std::string format = "text";              // text (syslog-prefixed lines) | json (one object per line)
};

// [policy] — campaign policy: marketing caps and quiet hours (README, "Campaign policy").
struct PolicyConfig {
  int marketing_per_hour = 0;               // 0 = no cap
  int marketing_per_day = 0;                // 0 = no cap
  std::string quiet_hours;                  // "" = none, else "HH:MM-HH:MM" (may wrap midnight)
  std::string default_tz = "UTC";           // IANA zone name for recipients without one
  bool allow_cap_override = false;
};

struct IngestConfig {
  redis::RedisIngestConfig redis;  // [ingest.redis]
};

struct ApnsApp {
  std::string app;
  std::string team_id;
  std::string key_id;
  std::string key_file;
  std::string key_pem;          // contents of key_file, read at load time (never logged)
  std::string topic;
  std::string environment = "production";
  std::string endpoint;         // "" = Apple's host for environment
  int connections = 4;
  int line = 0;                 // line of the [[apns]] header in the file
};

struct FcmApp {
  std::string app;
  std::string service_account;  // path
  std::string project_id, client_email, private_key_pem, token_uri;  // from the JSON
  std::string endpoint;         // "" = https://fcm.googleapis.com
  int connections = 4;
  int line = 0;
};

struct WebPushApp {
  std::string app;
  std::string vapid_key_file;
  std::string vapid_key_pem;
  std::string vapid_subject;
  int connections = 2;
  bool allow_private_endpoints = false;
  std::vector<uint16_t> endpoint_ports;     // besides 443, ports an endpoint may name
  int line = 0;
};

struct Settings {
  std::string file;             // where it was loaded from
  ServerConfig server;
  store::StoreConfig store;
  MetricsConfig metrics;
  TlsConfig tls;
  LogConfig log;
  dispatch::DeliveryConfig delivery;
  spool::SpoolConfig spool;
  PolicyConfig policy;
  IngestConfig ingest;
  std::vector<ApnsApp> apns;
  std::vector<FcmApp> fcm;
  std::vector<WebPushApp> webpush;
  std::vector<std::string> warnings;  // e.g. group/world-readable credential files
};

// Every relative path in the file (credential files, ca_file, store.path,
// spool.path, server.socket) is resolved against the config file's directory
// and stored absolute. key_file / service_account / vapid_key_file are read
// at load; their contents land in key_pem / the FCM fields / vapid_key_pem.
//
// Errors: code "config_io" (the config file itself cannot be read),
// "config_syntax" (TOML syntax error), "config_invalid" (everything else).
// Every problem found is reported, one "file:line: key: problem" per line of
// Error.message (joined with '\n'); warnings use the same format.

// Loads and validates a TOML file, reading the credential files it names.
// Error.message is "file:line: key: problem" (the format --check-config prints).
Result<std::shared_ptr<const Settings>> load(const std::string& path);

// Same, from text (tests, fuzzing). Credential files are still read from disk
// unless read_credentials is false.
Result<std::shared_ptr<const Settings>> parse(std::string_view text, const std::string& name,
                                              bool read_credentials = true);

}  // namespace pushgw::settings
