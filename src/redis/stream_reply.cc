#include "redis/stream_reply.h"

#include <hiredis/hiredis.h>

#include <algorithm>

namespace pushgw::redis {
namespace {

bool is_string(const redisReply* r) {
  return r != nullptr && (r->type == REDIS_REPLY_STRING || r->type == REDIS_REPLY_STATUS);
}

std::string_view view(const redisReply* r) { return std::string_view(r->str, r->len); }

// One entry: [id, [field, value, ...]] or [id, nil] for a deleted one.
bool parse_entry(const redisReply* e, StreamEntry& out) {
  if (e == nullptr || e->type != REDIS_REPLY_ARRAY || e->elements != 2 || !is_string(e->element[0])) return false;
  out = StreamEntry{};
  out.id = view(e->element[0]);
  const redisReply* fields = e->element[1];
  if (fields == nullptr || fields->type == REDIS_REPLY_NIL) {
    out.deleted = true;
    return true;
  }
  if (fields->type != REDIS_REPLY_ARRAY) return false;
  for (size_t i = 0; i + 1 < fields->elements; i += 2) {
    const redisReply* k = fields->element[i];
    const redisReply* v = fields->element[i + 1];
    if (is_string(k) && view(k) == kRequestField && is_string(v)) {
      out.request = view(v);
      out.has_request = true;
      break;
    }
  }
  return true;
}

bool parse_entries(const redisReply* arr, std::vector<StreamEntry>& out) {
  if (arr == nullptr || arr->type != REDIS_REPLY_ARRAY) return false;
  for (size_t i = 0; i < arr->elements; ++i) {
    // Redis 6.2 answered XAUTOCLAIM with nil for deleted entries.
    if (arr->element[i] != nullptr && arr->element[i]->type == REDIS_REPLY_NIL) continue;
    StreamEntry e;
    if (!parse_entry(arr->element[i], e)) return false;
    out.push_back(e);
  }
  return true;
}

}  // namespace

bool parse_read_reply(const redisReply* r, std::vector<StreamEntry>& out) {
  if (r == nullptr) return false;
  if (r->type == REDIS_REPLY_NIL) return true;
  if (r->type != REDIS_REPLY_ARRAY) return false;
  for (size_t s = 0; s < r->elements; ++s) {
    const redisReply* stream = r->element[s];
    if (stream == nullptr || stream->type != REDIS_REPLY_ARRAY || stream->elements != 2) return false;
    if (!parse_entries(stream->element[1], out)) return false;
  }
  return true;
}

bool parse_autoclaim_reply(const redisReply* r, std::string& next_cursor, std::vector<StreamEntry>& out,
                           size_t& deleted) {
  deleted = 0;
  if (r == nullptr || r->type != REDIS_REPLY_ARRAY || r->elements < 2 || !is_string(r->element[0])) return false;
  next_cursor.assign(view(r->element[0]));
  if (!parse_entries(r->element[1], out)) return false;
  if (r->elements >= 3 && r->element[2] != nullptr && r->element[2]->type == REDIS_REPLY_ARRAY)
    deleted = r->element[2]->elements;
  return true;
}

bool parse_pending_reply(const redisReply* r, std::vector<PendingInfo>& out) {
  if (r == nullptr || r->type != REDIS_REPLY_ARRAY) return false;
  for (size_t i = 0; i < r->elements; ++i) {
    const redisReply* e = r->element[i];
    if (e == nullptr || e->type != REDIS_REPLY_ARRAY || e->elements < 4 || !is_string(e->element[0]) ||
        !is_string(e->element[1]) || e->element[2]->type != REDIS_REPLY_INTEGER ||
        e->element[3]->type != REDIS_REPLY_INTEGER)
      return false;
    out.push_back({view(e->element[0]), view(e->element[1]), e->element[2]->integer, e->element[3]->integer});
  }
  return true;
}

bool parse_consumers_reply(const redisReply* r, std::vector<ConsumerInfo>& out) {
  if (r == nullptr || r->type != REDIS_REPLY_ARRAY) return false;
  for (size_t i = 0; i < r->elements; ++i) {
    const redisReply* c = r->element[i];
    if (c == nullptr || c->type != REDIS_REPLY_ARRAY) return false;
    ConsumerInfo info;
    bool named = false;
    for (size_t k = 0; k + 1 < c->elements; k += 2) {
      const redisReply* key = c->element[k];
      const redisReply* v = c->element[k + 1];
      if (!is_string(key)) return false;
      if (view(key) == "name" && is_string(v)) {
        info.name = view(v);
        named = true;
      } else if (view(key) == "pending" && v->type == REDIS_REPLY_INTEGER) {
        info.pending = v->integer;
      } else if (view(key) == "idle" && v->type == REDIS_REPLY_INTEGER) {
        info.idle_ms = v->integer;
      }
    }
    if (!named) return false;
    out.push_back(info);
  }
  return true;
}

std::string read_count(int64_t max_read_bytes, int batch, const std::vector<StreamEntry>& entries) {
  size_t bytes = 0;
  for (const StreamEntry& e : entries) bytes += e.request.size() + e.id.size();
  const size_t mean = std::max<size_t>(bytes / std::max<size_t>(entries.size(), 1), 1);
  const auto fit = static_cast<int64_t>(static_cast<uint64_t>(max_read_bytes) / mean);
  return std::to_string(std::clamp<int64_t>(fit, 1, batch));
}

}  // namespace pushgw::redis
