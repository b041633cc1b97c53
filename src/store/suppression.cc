#include "store/suppression.h"

#include <algorithm>
#include <functional>
#include <thread>

namespace pushgw::store {

// ---- ReaderGate -------------------------------------------------------------
//
// Why it is safe: the store thread first swaps `current` (seq_cst store), then
// calls synchronize(). A reader does fetch_add(active[parity]) and then loads
// `current`, both seq_cst. Either its increment comes before the writer's load
// of that counter in the single total order (the writer sees it and waits for
// the matching decrement), or it comes after, and then so does its load of
// `current`, which returns the new table. Waiting for "counter == 0" alone
// could starve; flipping the parity first means only stragglers that read the
// old epoch can still add to the counter we wait on. Two flips (one per
// parity) cover readers that were counted under either parity.

namespace {
size_t shard_of_this_thread(size_t shards) {
  static thread_local const size_t h = [] {
    uint64_t x = std::hash<std::thread::id>{}(std::this_thread::get_id());
    x ^= x >> 33;
    x *= 0xff51afd7ed558ccdULL;
    x ^= x >> 33;
    return static_cast<size_t>(x);
  }();
  return h % shards;
}
}  // namespace

unsigned ReaderGate::enter() const {
  unsigned parity = epoch_.load(std::memory_order_seq_cst) & 1u;
  size_t shard = shard_of_this_thread(kShards);
  shards_[shard].active[parity].fetch_add(1, std::memory_order_seq_cst);
  return static_cast<unsigned>(shard << 1) | parity;
}

void ReaderGate::leave(unsigned ticket) const {
  shards_[ticket >> 1].active[ticket & 1u].fetch_sub(1, std::memory_order_release);
}

void ReaderGate::synchronize() {
  for (int phase = 0; phase < 2; ++phase) {
    unsigned e = epoch_.load(std::memory_order_relaxed);  // only this thread writes it
    epoch_.store(e + 1, std::memory_order_seq_cst);
    unsigned drained = e & 1u;
    for (auto& s : shards_) {
      while (s.active[drained].load(std::memory_order_seq_cst) != 0) std::this_thread::yield();
    }
  }
}

// ---- SuppressionSet ---------------------------------------------------------
//
// Writers during growth: a writer changes `current` first, then loads
// `current->next` (both seq_cst); the store thread stores `next` and then
// reads each slot of `current` (seq_cst). So either the writer sees `next` and
// repeats its change there, or the copy loop reads the slot after the change.
// The copy never overwrites: it only fills a slot of the new table that still
// holds kUnset, and a writer's erase claims the key in `next` before storing
// kAbsent, so a copy cannot bring an erased entry back.

namespace {
size_t pow2_at_least(size_t n) {
  size_t c = 1;
  while (c < n) c <<= 1;
  return c;
}
size_t table_bytes(size_t cap) { return cap * 16 + 64; }
}  // namespace

SuppressionSet::Table::Table(size_t cap) : mask(cap - 1), slots(new Slot[cap]) {}

SuppressionSet::SuppressionSet(size_t expected) {
  size_t cap = std::max(kMinCapacity, pow2_at_least(expected * 2 + 1));
  current_.store(new Table(cap), std::memory_order_release);
  bytes_.store(table_bytes(cap), std::memory_order_relaxed);
}

SuppressionSet::~SuppressionSet() {
  Table* t = current_.load(std::memory_order_acquire);
  delete t->next.load(std::memory_order_acquire);  // only set while maintain() runs
  delete t;
}

SuppressionSet::Slot* SuppressionSet::locate(const Table& t, uint64_t key) const {
  size_t i = key & t.mask;
  for (size_t n = 0; n <= t.mask; ++n) {
    uint64_t k = t.slots[i].key.load(std::memory_order_acquire);
    if (k == key) return &t.slots[i];
    if (k == 0) return nullptr;  // keys never leave a table: the probe chain ends here
    i = (i + 1) & t.mask;
  }
  return nullptr;
}

SuppressionSet::Slot* SuppressionSet::claim(Table& t, uint64_t key) {
  const size_t cap = t.mask + 1;
  const size_t hard_limit = cap - cap / 8;
  const size_t grow_at = cap / 8 * 5;
  size_t i = key & t.mask;
  for (size_t n = 0; n < cap; ++n) {
    Slot& s = t.slots[i];
    uint64_t k = s.key.load(std::memory_order_acquire);
    if (k == key) return &s;
    if (k == 0) {
      if (t.used.load(std::memory_order_relaxed) >= hard_limit) break;
      if (s.key.compare_exchange_strong(k, key, std::memory_order_acq_rel, std::memory_order_acquire)) {
        if (t.used.fetch_add(1, std::memory_order_relaxed) + 1 > grow_at)
          grow_wanted_.store(true, std::memory_order_relaxed);
        return &s;
      }
      if (k == key) return &s;  // another writer claimed it for the same key
    }
    i = (i + 1) & t.mask;
  }
  grow_wanted_.store(true, std::memory_order_relaxed);
  return nullptr;
}

int64_t SuppressionSet::put_in(Table& t, uint64_t key, int64_t since_ms, bool* inserted) {
  Slot* s = claim(t, key);
  if (!s) return kUnset;
  int64_t v = s->since.load(std::memory_order_seq_cst);
  while (!is_value(v)) {
    if (s->since.compare_exchange_weak(v, since_ms, std::memory_order_seq_cst)) {
      if (inserted) *inserted = true;
      return since_ms;
    }
  }
  return v;
}

bool SuppressionSet::find(uint64_t key, int64_t* since_ms) const {
  unsigned ticket = gate_.enter();
  const Table* t = current_.load(std::memory_order_seq_cst);
  bool hit = false;
  if (const Slot* s = locate(*t, key)) {
    int64_t v = s->since.load(std::memory_order_acquire);
    if (is_value(v)) {
      hit = true;
      if (since_ms) *since_ms = v;
    }
  }
  gate_.leave(ticket);
  return hit;
}

bool SuppressionSet::put(uint64_t key, int64_t since_ms) {
  since_ms = std::max<int64_t>(since_ms, 0);
  unsigned ticket = gate_.enter();
  Table* t = current_.load(std::memory_order_seq_cst);
  bool inserted = false;
  int64_t now = put_in(*t, key, since_ms, &inserted);
  if (now != kUnset) {
    if (inserted) live_.fetch_add(1, std::memory_order_relaxed);
    // Mirror the value `current` ended up with, so both tables agree.
    if (Table* n = t->next.load(std::memory_order_seq_cst)) put_in(*n, key, now, nullptr);
  }
  gate_.leave(ticket);
  return now != kUnset;
}

bool SuppressionSet::erase(uint64_t key, int64_t registered_at_ms) {
  unsigned ticket = gate_.enter();
  Table* t = current_.load(std::memory_order_seq_cst);
  bool removed = false;
  if (Slot* s = locate(*t, key)) {
    int64_t v = s->since.load(std::memory_order_seq_cst);
    while (is_value(v) && (registered_at_ms <= 0 || v < registered_at_ms)) {
      if (s->since.compare_exchange_weak(v, kAbsent, std::memory_order_seq_cst)) {
        removed = true;
        break;
      }
    }
  }
  if (removed) {
    live_.fetch_sub(1, std::memory_order_relaxed);
    if (Table* n = t->next.load(std::memory_order_seq_cst)) {
      if (Slot* d = claim(*n, key)) d->since.store(kAbsent, std::memory_order_seq_cst);
    }
  }
  gate_.leave(ticket);
  return removed;
}

bool SuppressionSet::maintain(bool force) {
  if (!force && !grow_wanted_.load(std::memory_order_relaxed)) return false;
  grow_wanted_.store(false, std::memory_order_relaxed);
  Table* old = current_.load(std::memory_order_acquire);
  size_t live = static_cast<size_t>(std::max<int64_t>(live_.load(std::memory_order_relaxed), 0));
  // Room for twice the live entries: growth doubles; a table full of erased
  // keys is rebuilt at its size (or smaller) without them.
  size_t cap = std::max(kMinCapacity, pow2_at_least(live * 2 + 1));
  auto* fresh = new Table(cap);
  bytes_.fetch_add(table_bytes(cap), std::memory_order_relaxed);
  old->next.store(fresh, std::memory_order_seq_cst);
  for (size_t i = 0; i <= old->mask; ++i) {
    const Slot& s = old->slots[i];
    uint64_t k = s.key.load(std::memory_order_seq_cst);
    if (k == 0) continue;
    int64_t v = s.since.load(std::memory_order_seq_cst);
    if (!is_value(v)) continue;
    if (Slot* d = claim(*fresh, k)) {
      int64_t expected = kUnset;
      d->since.compare_exchange_strong(expected, v, std::memory_order_seq_cst);
    }
  }
  current_.store(fresh, std::memory_order_seq_cst);
  gate_.synchronize();  // nobody can still hold `old` (or reach `fresh` through it)
  bytes_.fetch_sub(table_bytes(old->mask + 1), std::memory_order_relaxed);
  delete old;
  return true;
}

size_t SuppressionSet::entries() const {
  return static_cast<size_t>(std::max<int64_t>(live_.load(std::memory_order_relaxed), 0));
}

size_t SuppressionSet::memory_bytes() const { return bytes_.load(std::memory_order_relaxed) + sizeof(*this); }

size_t SuppressionSet::capacity() const {
  unsigned ticket = gate_.enter();
  size_t cap = current_.load(std::memory_order_seq_cst)->mask + 1;
  gate_.leave(ticket);
  return cap;
}

}  // namespace pushgw::store
