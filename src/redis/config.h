// [ingest.redis]: Redis Streams ingest beside the socket. The section's
// presence turns it on (enabled); without it nothing connects to Redis.
// The redis module parses its own section (config::Section); the daemon's
// settings register it.
#pragma once
#include <cstdint>
#include <string>
#include <string_view>

#include "config/section.h"
#include "pushgw/result.h"

namespace pushgw::redis {

// Where a Redis server is, from a url (parse_redis_url).
struct RedisEndpoint {
  std::string host;             // TCP host or IP literal ("" with unix_path)
  uint16_t port = 6379;
  std::string unix_path;        // unix: socket path
  int db = 0;                   // SELECT db (0 = the default, not sent)
  std::string username;         // AUTH user (Redis 6 ACL); "" = AUTH password only
  std::string password;         // "" = no AUTH. Never logged (redact_redis_url)
};

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
  int max_deliveries = 5;       // an entry delivered this often without finishing is dead-lettered; 0 = never
  int64_t max_read_bytes = 64 << 20;  // a read's COUNT adapts so its requests stay about this size
};

// Parses [ingest.redis] (enabled = true); problems go to s.
RedisIngestConfig parse_config(config::Section& s);

// Redis urls: "redis://[[user]:password@]host[:port][/db]" (host may be an
// IPv6 literal in brackets; user and password may be %-encoded) or
// "unix:/path/to/redis.sock[?db=N]" ("unix:///path" too). Anything else is
// "bad_url"; the message never repeats the url (it may hold a password).
Result<RedisEndpoint> parse_redis_url(std::string_view url);
// The url with its password replaced by "***", for logs.
std::string redact_redis_url(std::string_view url);

}  // namespace pushgw::redis
