#include "store/send_tally.h"

#include <sys/random.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstring>

#include "store/key_hash.h"

namespace pushgw::store::detail {

namespace {
constexpr size_t kMinIndex = 1024;
constexpr size_t kBytesPerToken = 256;  // token + campaign, on average at most
static_assert(OutcomeRing::kMaxToken <= TextBlocks::kBlock && OutcomeRing::kMaxText <= TextBlocks::kBlock,
              "a token or campaign fits one block");

}  // namespace

uint64_t prefix8(std::string_view s) {
  unsigned char b[8] = {0, 0, 0, 0, 0, 0, 0, 0};
  std::memcpy(b, s.data(), std::min<size_t>(8, s.size()));
  uint64_t v = 0;
  for (unsigned char c : b) v = (v << 8) | c;
  return v;
}

HashKey random_hash_key() {
  HashKey k;
  uint64_t raw[2] = {0, 0};
  if (::getrandom(raw, sizeof raw, 0) != static_cast<ssize_t>(sizeof raw)) {
    // No entropy yet (early boot): still unpredictable enough per process.
    raw[0] = reinterpret_cast<uintptr_t>(&k) ^ static_cast<uint64_t>(::getpid()) << 32;
    raw[1] = static_cast<uint64_t>(std::chrono::steady_clock::now().time_since_epoch().count());
  }
  k.k0 = raw[0];
  k.k1 = raw[1];
  return k;
}

SendTally::SendTally(size_t max_tokens, const HashKey& key)
    : key_(key),
      max_tokens_(std::max<size_t>(max_tokens, 1)),
      max_bytes_(max_tokens_ * kBytesPerToken),
      index_(kMinIndex, 0) {}

uint32_t SendTally::find_group(Platform p, std::string_view app) const {
  if (last_group_ != kNoGroup && groups_[last_group_].platform == p && groups_[last_group_].app == app)
    return last_group_;
  for (uint32_t g = 0; g < groups_.size(); ++g)
    if (groups_[g].platform == p && groups_[g].app == app) return g;
  return kNoGroup;
}

uint32_t SendTally::group(Platform p, std::string_view app, bool add) {
  uint32_t g = find_group(p, app);
  if (g == kNoGroup && add) {
    groups_.push_back(Group{p, std::string(app)});
    g = static_cast<uint32_t>(groups_.size() - 1);
  }
  if (g != kNoGroup) last_group_ = g;
  return g;
}

size_t SendTally::probe(uint64_t hash, uint32_t grp, std::string_view t) const {
  const size_t mask = index_.size() - 1;
  for (size_t i = hash & mask;; i = (i + 1) & mask) {
    const uint32_t slot = index_[i];
    if (slot == 0) return i;
    const Entry& e = entries_[slot - 1];
    if (e.hash == hash && e.group == grp && token(e) == t) return i;
  }
}

// Load factor at most 1/2: entries_ only grows until clear(), so erased
// tokens keep their slot (a later send to them revives it).
void SendTally::grow() {
  std::vector<uint32_t> next(index_.size() * 2, 0);
  const size_t mask = next.size() - 1;
  for (uint32_t slot : index_) {
    if (slot == 0) continue;
    size_t i = entries_[slot - 1].hash & mask;
    while (next[i] != 0) i = (i + 1) & mask;
    next[i] = slot;
  }
  index_.swap(next);
}

uint32_t SendTally::append(std::string_view s) { return bytes_.append(s); }

void SendTally::add(const RecordView& r) {
  const uint32_t grp = group(r.platform, r.app, true);
  // r.key: the sender's Store::key(), under the same secret (pending_sends.h).
  const uint64_t hash = r.key != 0 ? r.key : key_hash(key_, r.platform, r.app, r.token);
  size_t i = probe(hash, grp, r.token);
  if (index_[i] == 0) {
    if ((entries_.size() + 1) * 2 > index_.size()) {
      grow();
      i = probe(hash, grp, r.token);
    }
    Entry e{};
    e.hash = hash;
    e.group = grp;
    e.token_off = append(r.token);
    e.token_len = static_cast<uint16_t>(r.token.size());  // the ring caps tokens at 8 KiB
    entries_.push_back(e);
    index_[i] = static_cast<uint32_t>(entries_.size());
  }
  Entry& e = entries_[index_[i] - 1];
  if (!e.live) {  // new, or erased by forget since the last flush
    e.live = true;
    e.first_at = e.last_at = r.at_ms;
    e.sent = e.delivered = e.failed = 0;
    e.camp_off = e.camp_len = 0;
    ++live_;
  }
  ++e.sent;
  if (r.kind == Kind::Delivered) ++e.delivered;
  if (r.kind == Kind::Failed) ++e.failed;
  e.first_at = std::min(e.first_at, r.at_ms);
  if (r.at_ms >= e.last_at) {
    e.last_at = r.at_ms;
    if (campaign(e) != r.campaign) {
      e.camp_off = append(r.campaign);  // the ring cuts campaigns to 1 KiB
      e.camp_len = static_cast<uint16_t>(r.campaign.size());
    }
  }
}

SendDelta SendTally::view(const Entry& e) const {
  SendDelta d;
  d.platform = groups_[e.group].platform;
  d.app = groups_[e.group].app;
  d.token = token(e);
  d.campaign = campaign(e);
  d.first_at_ms = e.first_at;
  d.last_at_ms = e.last_at;
  d.key = e.hash;
  d.sent = e.sent;
  d.delivered = e.delivered;
  d.failed = e.failed;
  return d;
}

std::optional<SendDelta> SendTally::find(Platform p, std::string_view a, std::string_view t) const {
  const uint32_t grp = find_group(p, a);
  if (grp == kNoGroup) return std::nullopt;
  const uint32_t slot = index_[probe(key_hash(key_, p, a, t), grp, t)];
  if (slot == 0 || !entries_[slot - 1].live) return std::nullopt;
  return view(entries_[slot - 1]);
}

bool SendTally::erase(Platform p, std::string_view a, std::string_view t) {
  const uint32_t grp = find_group(p, a);
  if (grp == kNoGroup) return false;
  const uint32_t slot = index_[probe(key_hash(key_, p, a, t), grp, t)];
  if (slot == 0 || !entries_[slot - 1].live) return false;
  entries_[slot - 1].live = false;
  --live_;
  return true;
}

const std::vector<SendDelta>& SendTally::ordered() {
  // Rank the (platform, app) groups in key order once.
  std::vector<uint32_t> by_key(groups_.size()), rank(groups_.size());
  for (uint32_t g = 0; g < groups_.size(); ++g) by_key[g] = g;
  std::sort(by_key.begin(), by_key.end(), [this](uint32_t x, uint32_t y) {
    if (groups_[x].platform != groups_[y].platform) return groups_[x].platform < groups_[y].platform;
    return groups_[x].app < groups_[y].app;
  });
  for (uint32_t k = 0; k < by_key.size(); ++k) rank[by_key[k]] = k;
  keys_.clear();
  order_.clear();
  out_.clear();
  reserve_rows();
  for (uint32_t k = 0; k < entries_.size(); ++k)
    if (entries_[k].live) keys_.push_back(SortKey{prefix8(token(entries_[k])), rank[entries_[k].group], k});
  std::sort(keys_.begin(), keys_.end(), [this](const SortKey& a, const SortKey& b) {
    if (a.rank != b.rank) return a.rank < b.rank;
    if (a.prefix != b.prefix) return a.prefix < b.prefix;
    return token(entries_[a.entry]) < token(entries_[b.entry]);
  });
  for (const SortKey& k : keys_) {
    order_.push_back(k.entry);
    out_.push_back(view(entries_[k.entry]));
  }
  return out_;
}

// The row vectors are sized once per flush: filled by push_back from empty,
// each doubling would copy every row built so far.
void SendTally::reserve_rows() {
  keys_.reserve(live_);
  order_.reserve(live_);
  out_.reserve(live_);
}

const std::vector<SendDelta>& SendTally::rows() {
  order_.clear();
  out_.clear();
  reserve_rows();
  for (uint32_t k = 0; k < entries_.size(); ++k) {
    if (!entries_[k].live) continue;
    order_.push_back(k);
    out_.push_back(view(entries_[k]));
  }
  return out_;
}

void SendTally::drop_rows(size_t from, size_t to) {
  for (size_t i = from; i < to; ++i) {
    Entry& e = entries_[order_[i]];
    if (!e.live) continue;
    e.live = false;
    --live_;
  }
}

void SendTally::clear() {
  entries_.clear();
  std::fill(index_.begin(), index_.end(), 0);
  bytes_.clear();
  live_ = 0;
  keys_.clear();
  order_.clear();
  out_.clear();
}

size_t SendTally::memory_bytes() const {
  return entries_.capacity() * sizeof(Entry) + index_.capacity() * sizeof(uint32_t) + bytes_.capacity() +
         keys_.capacity() * sizeof(SortKey) + order_.capacity() * sizeof(uint32_t) +
         out_.capacity() * sizeof(SendDelta);
}

void merge_pending(TokenState& t, const SendDelta& d) {
  if (t.state == "unknown") {  // no row yet: the flush will insert an active one
    t.state = "active";
    t.reason.clear();
    t.since_ms = d.first_at_ms;
  }
  t.sent += d.sent;
  t.delivered += d.delivered;
  t.failed += d.failed;
  if (d.last_at_ms >= t.last_sent_at_ms) {
    t.last_sent_at_ms = d.last_at_ms;
    t.last_campaign = std::string(d.campaign);
  }
}

}  // namespace pushgw::store::detail
