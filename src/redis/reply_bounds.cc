#include "redis/reply_bounds.h"

#include <hiredis/read.h>

#include <algorithm>
#include <cstdio>

namespace pushgw::redis {
namespace {

constexpr uint64_t kElementsPerEntry = 64;    // an entry is ~5 (id, fields); room for extra fields
constexpr uint64_t kMinElements = 65'536;     // XINFO CONSUMERS: ~9 per consumer, whatever batch is
constexpr uint64_t kEntryOverheadBytes = 1024;  // id, field names, other small fields of one entry

unsigned long long ull(uint64_t v) { return static_cast<unsigned long long>(v); }

}  // namespace

ReplyLimits reply_limits(const RedisIngestConfig& cfg, uint64_t max_line_bytes) {
  const auto batch = static_cast<uint64_t>(std::max(cfg.batch, 1));
  ReplyLimits l;
  l.max_bytes = static_cast<uint64_t>(cfg.max_read_bytes) + max_line_bytes + batch * kEntryOverheadBytes;
  l.max_elements = std::max(kMinElements, batch * kElementsPerEntry);
  return l;
}

ReplyBounds::ReplyBounds(ReplyLimits limits)
    : limits_(limits), fns_(std::make_unique<redisReplyObjectFunctions>()) {}

ReplyBounds::~ReplyBounds() = default;

void ReplyBounds::install(redisReader* r) {
  // hiredis's own builders (the reader was created with them); ours wrap
  // the two that allocate what the server declares.
  inner_ = r->fn;
  *fns_ = *r->fn;
  fns_->createArray = &ReplyBounds::create_array;
  fns_->createString = &ReplyBounds::create_string;
  r->fn = fns_.get();
  r->privdata = this;  // hiredis hands it to every task
  reply_elements_ = reply_bytes_ = 0;
  why_.clear();
}

ReplyBounds& ReplyBounds::of(const redisReadTask* task) { return *static_cast<ReplyBounds*>(task->privdata); }

// Count is int in hiredis 0.14 and size_t from 1.0: either signature fits.
template <typename Count>
void* ReplyBounds::create_array(const redisReadTask* task, Count elements) {
  ReplyBounds& b = of(task);
  if (!b.admit(task, Budget::Elements, static_cast<uint64_t>(elements))) return nullptr;  // hiredis: reader error
  return b.inner_->createArray(task, elements);
}

void* ReplyBounds::create_string(const redisReadTask* task, char* str, size_t len) {
  ReplyBounds& b = of(task);
  if (!b.admit(task, Budget::Bytes, len)) return nullptr;
  return b.inner_->createString(task, str, len);
}

// A task without a parent starts a reply: the budgets are per reply.
bool ReplyBounds::admit(const redisReadTask* task, Budget budget, uint64_t n) {
  if (task->parent == nullptr) reply_elements_ = reply_bytes_ = 0;
  const bool array = budget == Budget::Elements;
  uint64_t& used = array ? reply_elements_ : reply_bytes_;
  const uint64_t bound = array ? limits_.max_elements : limits_.max_bytes;
  used += n;
  if (used <= bound) return true;
  const char* unit = array ? "elements" : "bytes";
  char buf[240];
  std::snprintf(buf, sizeof buf, "reply refused: %s of %llu %s takes the reply to %llu, over the bound of %llu %s "
                "per reply (from %s)", array ? "an array" : "a string", ull(n), unit, ull(used), ull(bound), unit,
                array ? "[ingest.redis] batch" : "max_read_bytes and server.max_line_bytes");
  refuse(buf);
  return false;
}

bool ReplyBounds::holds_within(const redisReader* r) {
  const uint64_t unparsed = r->len - r->pos;
  if (unparsed <= limits_.max_bytes) return true;
  char buf[200];
  std::snprintf(buf, sizeof buf,
                "reply refused: %llu bytes buffered of a reply not yet complete, over the bound of %llu bytes "
                "(from max_read_bytes and server.max_line_bytes)",
                ull(unparsed), ull(limits_.max_bytes));
  refuse(buf);
  return false;
}

void ReplyBounds::refuse(std::string why) {
  if (why_.empty()) why_ = std::move(why);  // the first says what happened
}

}  // namespace pushgw::redis
