// [ingest.redis]: Redis Streams ingest beside the socket (the [ingest] table
// itself has no keys of its own; schema.h reports anything else in it).
#include "redis/config.h"

namespace pushgw::redis {
namespace {

// Redis key names are binary-safe, but a name with spaces or control
// characters in a config file is almost surely a mistake.
bool plausible_key(std::string_view s) {
  if (s.empty() || s.size() > 512) return false;
  for (char c : s)
    if (static_cast<unsigned char>(c) <= ' ' || c == 0x7f) return false;
  return true;
}

void read_key(config::Section& r, std::string_view key, std::string& out, bool required) {
  const bool given = required ? r.require(key, out) : r.get(key, out);
  if (given && !out.empty() && !plausible_key(out))
    r.error(key, "must be a Redis key name: 1-512 bytes without spaces or control characters");
}

}  // namespace

RedisIngestConfig parse_config(config::Section& r) {
  RedisIngestConfig c;
  c.enabled = true;
  r.get("url", c.url);
  auto ep = parse_redis_url(c.url);
  if (ep.ok()) c.endpoint = std::move(ep.value());
  else r.error("url", ep.error().message + " (redis://[user:password@]host[:port][/db] or unix:/path[?db=N])");
  read_key(r, "stream", c.stream, true);
  if (r.get("group", c.group) && !plausible_key(c.group)) r.error("group", "must be 1-512 bytes without spaces");
  if (r.get("consumer", c.consumer) && !c.consumer.empty() && !plausible_key(c.consumer))
    r.error("consumer", "must be 1-512 bytes without spaces (omit it for <hostname>-<pid>)");
  r.get_int("batch", c.batch, 1, 10000);
  r.get_int("block_ms", c.block_ms, 1, 60000);
  r.get_int("claim_idle_ms", c.claim_idle_ms, 100, 86'400'000);
  read_key(r, "results_stream", c.results_stream, false);
  read_key(r, "feedback_stream", c.feedback_stream, false);
  r.get_int("results_maxlen", c.results_maxlen, 0, int64_t{1} << 40);
  r.get_int("max_deliveries", c.max_deliveries, 0, 1000);
  r.get_int("max_read_bytes", c.max_read_bytes, 1 << 16, int64_t{1} << 34);
  // Writing results or feedback into the request stream would feed them
  // back in as (invalid) requests.
  if (!c.stream.empty() && c.results_stream == c.stream)
    r.error("results_stream", "must differ from stream");
  if (!c.stream.empty() && c.feedback_stream == c.stream)
    r.error("feedback_stream", "must differ from stream");
  return c;
}

}  // namespace pushgw::redis
