#include "store/logged_sends.h"

#include <algorithm>

namespace pushgw::store::detail {

namespace {
constexpr size_t kMinSlots = 1024;

uint32_t clamp32(uint64_t v) { return static_cast<uint32_t>(std::min<uint64_t>(v, UINT32_MAX)); }
}  // namespace

LoggedSends::LoggedSends(const HashKey& key) : hash_key_(key), slots_(kMinSlots, Slot{}) { names_.push_back(Name{"", 1}); }

uint64_t LoggedSends::key(Platform p, std::string_view app, std::string_view token) const {
  return key_hash(hash_key_, p, app, token);
}

size_t LoggedSends::probe(uint64_t key) const {
  const size_t mask = slots_.size() - 1;
  for (size_t i = key & mask;; i = (i + 1) & mask)
    if (slots_[i].key == key || slots_[i].key == 0) return i;
}

void LoggedSends::grow() {
  std::vector<Slot> old(slots_.size() * 2, Slot{});
  old.swap(slots_);
  for (const Slot& s : old)
    if (s.key != 0) slots_[probe(s.key)] = s;
}

// Linear probing without tombstones: the entries after the hole that probed
// past it move back into it.
void LoggedSends::remove_at(size_t i) {
  const size_t mask = slots_.size() - 1;
  slots_[i].key = 0;
  for (size_t j = (i + 1) & mask; slots_[j].key != 0; j = (j + 1) & mask) {
    const size_t home = slots_[j].key & mask;
    // Does j's probe sequence pass through the hole i? (cyclic home..j)
    if (((j - home) & mask) >= ((j - i) & mask)) {
      slots_[i] = slots_[j];
      slots_[j].key = 0;
      i = j;
    }
  }
  --live_;
}

uint32_t LoggedSends::intern(std::string_view campaign) {
  if (campaign.empty()) return 0;
  if (last_name_ != 0 && names_[last_name_].refs > 0 && names_[last_name_].text == campaign) {
    ++names_[last_name_].refs;
    return last_name_;
  }
  if (auto it = by_name_.find(campaign); it != by_name_.end()) {
    ++names_[it->second].refs;
    last_name_ = it->second;
    return it->second;
  }
  uint32_t id;
  if (!free_names_.empty()) {
    id = free_names_.back();
    free_names_.pop_back();
  } else {
    id = static_cast<uint32_t>(names_.size());
    names_.emplace_back();
  }
  names_[id].text.assign(campaign);
  names_[id].refs = 1;
  by_name_.emplace(names_[id].text, id);
  last_name_ = id;
  return id;
}

void LoggedSends::release(uint32_t id) {
  if (id == 0 || --names_[id].refs > 0) return;
  by_name_.erase(names_[id].text);
  names_[id].text.clear();
  free_names_.push_back(id);
}

void LoggedSends::add(uint64_t key, const SendDelta& d) {
  staged_.push_back(Staged{key, clamp32(d.sent), clamp32(d.delivered), clamp32(d.failed), intern(d.campaign),
                           d.first_at_ms, d.last_at_ms});
}

void LoggedSends::fold() {
  for (size_t i = 0; i < staged_.size(); ++i) fold_one(staged_[i]);
  staged_.clear();
}

void LoggedSends::fold_one(const Staged& d) {
  if ((live_ + 1) * 2 > slots_.size()) grow();
  Slot& s = slots_[probe(d.key)];
  if (s.key == 0) {
    s = Slot{d.key, 0, 0, 0, d.campaign, d.first_at, d.last_at};
    ++live_;
  } else if (d.last_at >= s.last_at) {  // the campaign follows the latest send
    release(s.campaign);
    s.campaign = d.campaign;
  } else {
    release(d.campaign);
  }
  s.sent = clamp32(uint64_t{s.sent} + d.sent);
  s.delivered = clamp32(uint64_t{s.delivered} + d.delivered);
  s.failed = clamp32(uint64_t{s.failed} + d.failed);
  s.first_at = std::min(s.first_at, d.first_at);
  s.last_at = std::max(s.last_at, d.last_at);
}

void LoggedSends::subtract(uint64_t key, const SendDelta& d) {
  fold();
  const size_t i = probe(key);
  Slot& s = slots_[i];
  if (s.key == 0) return;
  s.sent -= std::min<uint64_t>(s.sent, d.sent);
  s.delivered -= std::min<uint64_t>(s.delivered, d.delivered);
  s.failed -= std::min<uint64_t>(s.failed, d.failed);
  // The row now has last_at (max), so the entry may keep its own.
  if (s.sent == 0 && s.delivered == 0 && s.failed == 0) {
    release(s.campaign);
    remove_at(i);
  }
}

std::optional<SendDelta> LoggedSends::find(uint64_t key) {
  fold();
  const Slot& s = slots_[probe(key)];
  if (s.key == 0) return std::nullopt;
  SendDelta d;
  d.sent = s.sent;
  d.delivered = s.delivered;
  d.failed = s.failed;
  d.first_at_ms = s.first_at;
  d.last_at_ms = s.last_at;
  d.campaign = names_[s.campaign].text;
  return d;
}

bool LoggedSends::erase(uint64_t key) {
  fold();
  const size_t i = probe(key);
  if (slots_[i].key == 0) return false;
  release(slots_[i].campaign);
  remove_at(i);
  return true;
}

}  // namespace pushgw::store::detail
