#include "metrics/registry.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>

#include "metrics/exposition.h"

namespace pushgw::metrics {
namespace {

[[noreturn]] void die(const std::string& what) {
  std::fprintf(stderr, "<3>metrics: %s\n", what.c_str());
  std::abort();
}

void check_names(const std::string& name, const std::vector<std::string>& label_names) {
  if (!valid_metric_name(name)) die("invalid metric name '" + name + "'");
  for (const auto& l : label_names) {
    if (!valid_label_name(l) || l == "le") die(name + ": invalid label name '" + l + "'");
  }
}

// Writes `name` + `{labels}` (braces only when there are labels).
void append_series(std::string& out, std::string_view name, std::string_view labels) {
  out.append(name);
  if (!labels.empty()) {
    out += '{';
    out.append(labels);
    out += '}';
  }
}

// A family whose samples come from a callback at scrape time.
class CallbackFamily final : public detail::FamilyBase {
 public:
  CallbackFamily(std::string name, std::string help, std::string type, std::vector<std::string> label_names,
                 std::function<void(SampleSink&)> fn)
      : FamilyBase(std::move(name), std::move(help), std::move(type), std::move(label_names)), fn_(std::move(fn)) {}

 private:
  void render_samples(std::string& out) const override {
    SampleSink sink(label_names().size());
    fn_(sink);
    std::vector<std::string> values;
    for (const auto& s : sink.samples()) {
      append_series(out, name(), render_label_pairs(label_names(), s.values));
      out += ' ';
      append_double(out, s.value);
      out += '\n';
    }
  }
  std::function<void(SampleSink&)> fn_;
};

}  // namespace

// ---- cells ---------------------------------------------------------------

Histogram::Histogram(std::span<const double> bounds)
    : bounds_(bounds), counts_(std::make_unique<std::atomic<uint64_t>[]>(bounds.size() + 1)) {}

void Histogram::observe(double v) {
  if (std::isnan(v)) return;
  // The first bound >= v (the +Inf bucket past them all), by a binary search
  // whose steps are selects, not branches: 5 steps over the 17 latency
  // bounds instead of a scan that walks 4-8 of them (2 observations per
  // notification on the send path).
  const double* b = bounds_.data();
  std::size_t i = 0, len = bounds_.size();
  while (len > 0) {
    const std::size_t half = len / 2;
    const bool right = b[i + half] < v;
    i = right ? i + half + 1 : i;
    len = right ? len - half - 1 : half;
  }
  auto& c = counts_[i];
  c.store(c.load(std::memory_order_relaxed) + 1, std::memory_order_relaxed);
  sum_.store(sum_.load(std::memory_order_relaxed) + v, std::memory_order_relaxed);
}

void Histogram::merge(const Histogram& other) {
  for (std::size_t i = 0; i < buckets() && i < other.buckets(); ++i) {
    counts_[i].store(bucket(i) + other.bucket(i), std::memory_order_relaxed);
  }
  sum_.store(sum() + other.sum(), std::memory_order_relaxed);
}

// ---- families ------------------------------------------------------------

namespace detail {

FamilyBase::FamilyBase(std::string name, std::string help, std::string type, std::vector<std::string> label_names)
    : name_(std::move(name)), help_(std::move(help)), type_(std::move(type)), label_names_(std::move(label_names)) {}

void FamilyBase::render(std::string& out) const {
  out += "# HELP ";
  out += name_;
  out += ' ';
  append_escaped_help(out, help_);
  out += "\n# TYPE ";
  out += name_;
  out += ' ';
  out += type_;
  out += '\n';
  render_samples(out);
}

template <class Cell>
CellFamily<Cell>::CellFamily(std::string name, std::string help, std::string type,
                             std::vector<std::string> label_names, std::size_t max_series)
    : FamilyBase(std::move(name), std::move(help), std::move(type), label_names),
      index_(std::move(label_names), max_series) {}

template <class Cell>
uint64_t CellFamily<Cell>::overflowed() const {
  std::lock_guard lock(mu_);
  return index_.overflowed();
}

template <class Cell>
std::size_t CellFamily<Cell>::series_count() const {
  std::lock_guard lock(mu_);
  return index_.size();
}

template <class Cell>
typename CellFamily<Cell>::Attached CellFamily<Cell>::attach(const Shard* shard, std::string_view key,
                                                             std::deque<Cell>& arena) {
  std::lock_guard lock(mu_);
  const SeriesIndex::Found f = index_.find_or_create(key);
  while (series_.size() < index_.size()) series_.emplace_back(make_cell());
  Series& s = series_[f.id];
  for (auto& [owner, cell] : s.cells) {
    if (owner == shard) return {cell, !f.overflow};
  }
  Cell& cell = emplace_cell(arena);
  s.cells.emplace_back(shard, &cell);
  return {&cell, !f.overflow};
}

}  // namespace detail

namespace {
void fold(Counter& into, const Counter& from) { into.inc(from.value()); }

void fold(Histogram& into, const Histogram& from) { into.merge(from); }
}  // namespace

namespace detail {

template <class Cell>
void CellFamily<Cell>::detach(const Shard* shard) {
  std::lock_guard lock(mu_);
  for (Series& s : series_) {
    auto it = std::find_if(s.cells.begin(), s.cells.end(), [&](const auto& p) { return p.first == shard; });
    if (it == s.cells.end()) continue;
    fold(*s.retired, *it->second);
    s.cells.erase(it);
  }
}

template class CellFamily<Counter>;
template class CellFamily<Histogram>;

}  // namespace detail

// ---- counter and histogram families -------------------------------------

CounterFamily::CounterFamily(std::string name, std::string help, std::vector<std::string> label_names,
                             std::size_t max_series)
    : CellFamily(std::move(name), std::move(help), "counter", std::move(label_names), max_series) {}

uint64_t CounterFamily::total_locked(std::size_t id) const {
  // index_ may know a series no shard has written yet (the label-less one): it reads 0.
  if (id >= series_.size()) return 0;
  uint64_t total = series_[id].retired->value();
  for (const auto& c : series_[id].cells) total += c.second->value();
  return total;
}

void CounterFamily::render_samples(std::string& out) const {
  std::lock_guard lock(mu_);
  for (std::size_t id = 0; id < index_.size(); ++id) {
    append_series(out, name(), index_.labels(static_cast<uint32_t>(id)));
    out += ' ';
    append_uint(out, total_locked(id));
    out += '\n';
  }
}

void CounterFamily::collect(const std::function<void(const std::vector<std::string>&, uint64_t)>& fn) const {
  std::lock_guard lock(mu_);
  for (std::size_t id = 0; id < index_.size(); ++id) fn(index_.values(static_cast<uint32_t>(id)), total_locked(id));
}

HistogramFamily::HistogramFamily(std::string name, std::string help, std::vector<std::string> label_names,
                                 std::vector<double> bounds, std::size_t max_series)
    : CellFamily(std::move(name), std::move(help), "histogram", std::move(label_names), max_series),
      bounds_(std::move(bounds)) {
  for (std::size_t i = 0; i < bounds_.size(); ++i) {
    if (!std::isfinite(bounds_[i]) || (i > 0 && bounds_[i] <= bounds_[i - 1])) {
      die(this->name() + ": histogram bounds must be finite and strictly increasing");
    }
    std::string le;
    append_double(le, bounds_[i]);
    le_.push_back(std::move(le));
  }
  le_.emplace_back("+Inf");
}

double HistogramFamily::sum_locked(std::size_t id, std::vector<uint64_t>& counts) const {
  std::fill(counts.begin(), counts.end(), 0);
  if (id >= series_.size()) return 0;
  const Series& s = series_[id];
  double sum = s.retired->sum();
  for (std::size_t b = 0; b < counts.size(); ++b) counts[b] = s.retired->bucket(b);
  for (const auto& c : s.cells) {
    for (std::size_t b = 0; b < counts.size(); ++b) counts[b] += c.second->bucket(b);
    sum += c.second->sum();
  }
  return sum;
}

void HistogramFamily::render_samples(std::string& out) const {
  std::lock_guard lock(mu_);
  std::vector<uint64_t> counts(bounds_.size() + 1);
  const std::string bucket_name = name() + "_bucket{";
  for (std::size_t id = 0; id < index_.size(); ++id) {
    const double sum = sum_locked(id, counts);
    const std::string& labels = index_.labels(static_cast<uint32_t>(id));
    uint64_t cumulative = 0;
    for (std::size_t b = 0; b < counts.size(); ++b) {
      cumulative += counts[b];
      out += bucket_name;
      if (!labels.empty()) {
        out += labels;
        out += ',';
      }
      out += "le=\"";
      out += le_[b];
      out += "\"} ";
      append_uint(out, cumulative);
      out += '\n';
    }
    append_series(out, name() + "_sum", labels);
    out += ' ';
    append_double(out, sum);
    out += '\n';
    append_series(out, name() + "_count", labels);
    out += ' ';
    append_uint(out, cumulative);
    out += '\n';
  }
}

void HistogramFamily::collect(
    const std::function<void(const std::vector<std::string>&, std::span<const uint64_t>, double)>& fn) const {
  std::lock_guard lock(mu_);
  std::vector<uint64_t> counts(bounds_.size() + 1);
  for (std::size_t id = 0; id < index_.size(); ++id) {
    const double sum = sum_locked(id, counts);
    fn(index_.values(static_cast<uint32_t>(id)), counts, sum);
  }
}

// ---- callbacks -----------------------------------------------------------

void SampleSink::add(LabelValues label_values, double value) {
  Sample s{{}, value};
  s.values.reserve(label_count_);
  for (std::size_t i = 0; i < label_count_; ++i) {
    s.values.push_back(sanitize_label_value(i < label_values.size() ? label_values[i] : std::string_view()));
  }
  samples_.push_back(std::move(s));
}

// ---- registry ------------------------------------------------------------

Registry::~Registry() {
  if (shards_.load() != 0) die("registry destroyed while shards still use it");
}

detail::FamilyBase* Registry::find(const std::string& name) const {
  for (const auto& f : families_) {
    if (f->name() == name) return f.get();
  }
  return nullptr;
}

template <class F>
F& Registry::add(std::unique_ptr<F> f) {
  check_names(f->name(), f->label_names());
  std::lock_guard lock(mu_);
  if (detail::FamilyBase* existing = find(f->name())) {
    auto* same = dynamic_cast<F*>(existing);
    if (same == nullptr || same->label_names() != f->label_names() || std::is_same_v<F, CallbackFamily>) {
      die("metric '" + f->name() + "' registered twice with a different shape");
    }
    return *same;
  }
  f->id_ = families_.size();
  F& ref = *f;
  families_.push_back(std::move(f));
  return ref;
}

CounterFamily& Registry::counter(std::string name, std::string help, std::vector<std::string> label_names,
                                 std::size_t max_series) {
  return add(std::make_unique<CounterFamily>(std::move(name), std::move(help), std::move(label_names), max_series));
}

HistogramFamily& Registry::histogram(std::string name, std::string help, std::vector<std::string> label_names,
                                     std::span<const double> bounds, std::size_t max_series) {
  auto f = std::make_unique<HistogramFamily>(std::move(name), std::move(help), std::move(label_names),
                                             std::vector<double>(bounds.begin(), bounds.end()), max_series);
  auto& ref = add(std::move(f));
  if (!std::equal(ref.bounds().begin(), ref.bounds().end(), bounds.begin(), bounds.end())) {
    die("histogram '" + ref.name() + "' registered twice with different buckets");
  }
  return ref;
}

void Registry::gauge_callback(std::string name, std::string help, std::function<double()> fn) {
  gauge_callback(std::move(name), std::move(help), {}, [fn = std::move(fn)](SampleSink& s) { s.add({}, fn()); });
}

void Registry::gauge_callback(std::string name, std::string help, std::vector<std::string> label_names,
                              std::function<void(SampleSink&)> fn) {
  add(std::make_unique<CallbackFamily>(std::move(name), std::move(help), "gauge", std::move(label_names),
                                       std::move(fn)));
}

void Registry::counter_callback(std::string name, std::string help, std::vector<std::string> label_names,
                                std::function<void(SampleSink&)> fn) {
  add(std::make_unique<CallbackFamily>(std::move(name), std::move(help), "counter", std::move(label_names),
                                       std::move(fn)));
}

std::string Registry::render() const {
  std::string out;
  render(out);
  return out;
}

void Registry::render(std::string& out) const {
  std::lock_guard lock(mu_);
  out.reserve(out.size() + last_size_ + last_size_ / 8);
  const std::size_t start = out.size();
  for (const auto& f : families_) f->render(out);
  render_overflow(out);
  last_size_ = out.size() - start;
}

// Shown only once some family overflowed, so a healthy scrape stays lean.
void Registry::render_overflow(std::string& out) const {
  bool header = false;
  for (const auto& f : families_) {
    const uint64_t n = f->overflowed();
    if (n == 0) continue;
    if (!header) {
      out += "# HELP pushgw_metrics_overflow_total Label sets counted under \"other\" because the metric "
             "reached its series cap.\n# TYPE pushgw_metrics_overflow_total counter\n";
      header = true;
    }
    out += "pushgw_metrics_overflow_total{metric=\"";
    out += f->name();
    out += "\"} ";
    append_uint(out, n);
    out += '\n';
  }
}

// ---- shard ---------------------------------------------------------------

Shard::Shard(Registry& registry) : registry_(registry) {
  registry_.shards_.fetch_add(1);
  key_.reserve(256);
}

Shard::~Shard() {
  for (detail::FamilyBase* f : touched_) f->detach(this);
  registry_.shards_.fetch_sub(1);
}

template <class Cell>
Cell* Shard::lookup(detail::CellFamily<Cell>& family, LabelValues values, std::deque<Cell>& arena) {
  key_.clear();
  encode_key(key_, values, family.label_names().size());
  if (caches_.size() <= family.id()) caches_.resize(family.id() + 1);
  auto& cache = caches_[family.id()];
  if (cache) {
    if (auto it = cache->find(key_); it != cache->end()) return static_cast<Cell*>(it->second);
  } else {
    cache = std::make_unique<KeyMap<void*>>();
    touched_.push_back(&family);
  }
  auto attached = family.attach(this, key_, arena);
  if (attached.cacheable) cache->emplace(key_, attached.cell);
  return attached.cell;
}

Counter* Shard::counter(CounterFamily& family, LabelValues values) { return lookup(family, values, counters_); }

Histogram* Shard::histogram(HistogramFamily& family, LabelValues values) {
  return lookup(family, values, histograms_);
}

}  // namespace pushgw::metrics
