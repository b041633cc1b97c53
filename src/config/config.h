// The assembled, immutable configuration. Loaded from TOML by load_config();
// replaced whole on reload (never mutated in place).
#pragma once
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "pushgw/result.h"

namespace pushgw::config {

struct ServerConfig {
  std::string socket = "/run/pushgw/pushgw.sock";
  uint32_t socket_mode = 0660;
  int workers = 0;                          // 0 = one per core
  uint64_t max_line_bytes = 16777216;
  uint64_t max_queued = 1'000'000;          // recipients queued before ingest stops reading
  int drain_seconds = 30;
  std::vector<uint32_t> allowed_uids;       // empty: anyone who can open the socket
  std::vector<uint32_t> allowed_gids;
};

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

struct DeliveryConfig {
  int max_attempts = 5;
  int max_retry_seconds = 300;
  int request_timeout_ms = 10000;
  int connect_timeout_ms = 5000;
  int ping_interval_ms = 60000;    // PING an idle provider connection silent this long
  int stall_ping_ms = 1000;        // PING a connection with requests in flight silent this long
  int ping_timeout_ms = 3000;      // no PING ACK within this: the connection is dead
  int idle_timeout_ms = 300000;
  // Requests one Web Push origin may have in flight per sender thread (at
  // most a quarter of the sender's in-flight window).
  int webpush_origin_max_in_flight = 1024;
};

// [spool] — reserved for the durable ingest spool (a later issue); parsed and
// validated now so configs written for it are accepted.
struct SpoolConfig {
  std::string path = "/var/lib/pushgw/spool";
  std::string fsync = "batch";              // batch | always | off
};

// [policy] — campaign policy: marketing caps and quiet hours (README, "Campaign policy").
struct PolicyConfig {
  int marketing_per_hour = 0;               // 0 = no cap
  int marketing_per_day = 0;                // 0 = no cap
  std::string quiet_hours;                  // "" = none, else "HH:MM-HH:MM" (may wrap midnight)
  std::string default_tz = "UTC";           // IANA zone name for recipients without one
  bool allow_cap_override = false;
};

// Where a Redis server is, from a url (parse_redis_url).
struct RedisEndpoint {
  std::string host;             // TCP host or IP literal ("" with unix_path)
  uint16_t port = 6379;
  std::string unix_path;        // unix: socket path
  int db = 0;                   // SELECT db (0 = the default, not sent)
  std::string username;         // AUTH user (Redis 6 ACL); "" = AUTH password only
  std::string password;         // "" = no AUTH. Never logged (redact_redis_url)
};

// [ingest.redis] — Redis Streams ingest beside the socket. The section's
// presence turns it on (enabled); without it nothing connects to Redis.
struct RedisIngestConfig {
  bool enabled = false;
  std::string url = "redis://127.0.0.1:6379";  // as written (may hold a password)
  RedisEndpoint endpoint;       // parsed url
  std::string stream;           // required: the request stream
  std::string group = "pushgw";
  std::string consumer;         // "" = <hostname>-<pid>
  int batch = 100;              // COUNT per XREADGROUP / XAUTOCLAIM
  int block_ms = 2000;          // BLOCK of XREADGROUP
  int claim_idle_ms = 30000;    // XAUTOCLAIM entries pending this long on any consumer
  std::string results_stream;   // "" = no per-request results
  std::string feedback_stream;  // "" = feedback events go to results_stream (if set)
  int64_t results_maxlen = 1'000'000;  // MAXLEN ~ of the streams we XADD to; 0 = no trimming
};

struct IngestConfig {
  RedisIngestConfig redis;
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
  int line = 0;
};

struct Config {
  std::string file;             // where it was loaded from
  ServerConfig server;
  StoreConfig store;
  MetricsConfig metrics;
  TlsConfig tls;
  LogConfig log;
  DeliveryConfig delivery;
  SpoolConfig spool;
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
Result<std::shared_ptr<const Config>> load_config(const std::string& path);

// Same, from text (tests, fuzzing). Credential files are still read from disk
// unless read_credentials is false.
Result<std::shared_ptr<const Config>> parse_config(std::string_view text, const std::string& name,
                                                   bool read_credentials = true);

// "https://host[:port]" split for connection pools and providers. IPv6 hosts
// are written in brackets ("https://[::1]:8443") and returned without them.
struct Origin {
  std::string host;
  uint16_t port = 443;
};
// Accepts an https URL as base/authority.h reads it, with at most a trailing
// "/"; anything else (a path, query, fragment, userinfo) is "bad_url".
Result<Origin> parse_https_origin(std::string_view url);

// Redis urls: "redis://[[user]:password@]host[:port][/db]" (host may be an
// IPv6 literal in brackets; user and password may be %-encoded) or
// "unix:/path/to/redis.sock[?db=N]" ("unix:///path" too). Anything else is
// "bad_url"; the message never repeats the url (it may hold a password).
Result<RedisEndpoint> parse_redis_url(std::string_view url);
// The url with its password replaced by "***", for logs.
std::string redact_redis_url(std::string_view url);

}  // namespace pushgw::config
