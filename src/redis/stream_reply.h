// Shapes of the stream replies we read (RESP2, Redis >= 7.0), as views into
// the hiredis reply: valid while the reply is (inside its callback).
#pragma once
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

struct redisReply;

namespace pushgw::redis {

// The entry field that carries the socket-protocol request line.
inline constexpr std::string_view kRequestField = "request";

struct StreamEntry {
  std::string_view id;
  std::string_view request;   // value of kRequestField
  bool deleted = false;       // in the pending list, but gone from the stream
  bool has_request = false;   // false: no kRequestField (or not a string)
};

// XREADGROUP ... STREAMS <one stream> <id>: appends the entries. A nil reply
// (BLOCK timed out) is no entries. false: the reply has another shape.
bool parse_read_reply(const redisReply* r, std::vector<StreamEntry>& out);

// COUNT for the next read, from the entries of the last one: so that a
// read's requests come to about max_read_bytes (at least 1, at most batch),
// and a stream of huge requests is read a few at a time.
std::string read_count(int64_t max_read_bytes, int batch, const std::vector<StreamEntry>& entries);

// XAUTOCLAIM: [next cursor, entries, deleted ids] (the third element since
// 7.0). Appends the claimed entries; deleted counts entries the server
// dropped from the pending list because they were gone from the stream.
bool parse_autoclaim_reply(const redisReply* r, std::string& next_cursor, std::vector<StreamEntry>& out,
                           size_t& deleted);

// XPENDING <stream> <group> [IDLE ms] <start> <end> <count> [consumer]: one
// [id, consumer, idle ms, times delivered] per pending entry.
struct PendingInfo {
  std::string_view id;
  std::string_view consumer;
  long long idle_ms = 0;
  long long deliveries = 0;
};
bool parse_pending_reply(const redisReply* r, std::vector<PendingInfo>& out);

// XINFO CONSUMERS: one flat field/value array per consumer.
struct ConsumerInfo {
  std::string_view name;
  long long pending = 0;
  long long idle_ms = 0;  // since the consumer's last command
};
bool parse_consumers_reply(const redisReply* r, std::vector<ConsumerInfo>& out);

}  // namespace pushgw::redis
