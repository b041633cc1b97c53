// Metrics registry for a daemon whose sender threads share nothing.
//
// Who writes what: every writer thread owns one Shard. A Shard hands out
// cells (Counter*, Histogram*) for a (family, label values) pair; the cell is
// written by that thread only (relaxed load + store, no read-modify-write, no
// lock) and its address is stable for the Shard's lifetime, so a thread looks
// a cell up once and caches the pointer. Looking up a label set the Shard has
// already seen takes no lock and allocates nothing; the first sight of a label
// set takes the family's mutex and allocates.
//
// Who reads: render() runs on the scraping thread (the main loop), sums every
// Shard's cell of each series and writes Prometheus text format 0.0.4.
// Totals are eventually consistent (a scrape may see one thread's increment
// and not another's); each histogram's _count equals its +Inf bucket.
//
// Cardinality: a family holds at most max_series label sets. Past the cap a
// new label set is counted under the same labels with its overflow label
// ("reason" when the family has one, else its last label) set to "other" if
// that series exists, else under a catch-all series whose labels are all
// "other"; overflowed label sets are remembered nowhere, and each is counted
// in pushgw_metrics_overflow_total{metric=...}. Label values are cut to 128
// bytes of valid UTF-8.
//
// Lifetimes: families live as long as the Registry; a Shard must be
// destroyed before its Registry. When a Shard is destroyed its counts are
// folded into the family, so totals never go backwards.
//
// Misuse that is a programming error (invalid metric or label name, the same
// name registered twice with a different shape) aborts with a message.
#pragma once
#include <atomic>
#include <deque>
#include <cstdint>
#include <functional>
#include <initializer_list>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "metrics/series_index.h"

namespace pushgw::metrics {

class Registry;
class Shard;
using LabelValues = std::span<const std::string_view>;

inline constexpr std::size_t kDefaultMaxSeries = 10000;

// 100 µs … 30 s, for latencies in seconds.
inline constexpr double kLatencyBuckets[] = {0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025,
                                             0.05,   0.1,     0.25,   0.5,   1,      2.5,   5,     10, 30};

// One thread's share of one counter series. Only the owning thread calls inc().
class Counter {
 public:
  void inc(uint64_t n = 1) { v_.store(v_.load(std::memory_order_relaxed) + n, std::memory_order_relaxed); }
  uint64_t value() const { return v_.load(std::memory_order_relaxed); }

 private:
  std::atomic<uint64_t> v_{0};
};

// One thread's share of one histogram series. Only the owning thread calls observe().
class Histogram {
 public:
  explicit Histogram(std::span<const double> bounds);
  // v in the family's unit (seconds for latencies); NaN is ignored.
  void observe(double v);
  // Reader side (any thread): per-bucket (not cumulative) counts, last = +Inf.
  uint64_t bucket(std::size_t i) const { return counts_[i].load(std::memory_order_relaxed); }
  std::size_t buckets() const { return bounds_.size() + 1; }
  double sum() const { return sum_.load(std::memory_order_relaxed); }
  // Adds other's counts; the caller guarantees nobody else writes *this meanwhile.
  void merge(const Histogram& other);

 private:
  std::span<const double> bounds_;  // owned by the family
  std::unique_ptr<std::atomic<uint64_t>[]> counts_;
  std::atomic<double> sum_{0};
};

namespace detail {

class FamilyBase {
 public:
  FamilyBase(std::string name, std::string help, std::string type, std::vector<std::string> label_names);
  virtual ~FamilyBase() = default;
  FamilyBase(const FamilyBase&) = delete;
  FamilyBase& operator=(const FamilyBase&) = delete;
  const std::string& name() const { return name_; }
  const std::string& type() const { return type_; }
  const std::vector<std::string>& label_names() const { return label_names_; }
  // Position in the registry (shards index their caches by it).
  std::size_t id() const { return id_; }
  void render(std::string& out) const;
  // Label sets redirected because the family was full.
  virtual uint64_t overflowed() const { return 0; }

 protected:
  virtual void render_samples(std::string& out) const = 0;

 private:
  friend class pushgw::metrics::Registry;
  friend class pushgw::metrics::Shard;
  virtual void detach(const Shard*) {}  // folds a dying shard's cells in

  std::string name_, help_, type_;
  std::vector<std::string> label_names_;
  std::size_t id_ = 0;
};

// A family whose series are cells written by shards.
template <class Cell>
class CellFamily : public FamilyBase {
 public:
  uint64_t overflowed() const override;
  std::size_t series_count() const;

 protected:
  CellFamily(std::string name, std::string help, std::string type, std::vector<std::string> label_names,
             std::size_t max_series);
  struct Series {
    explicit Series(std::unique_ptr<Cell> r) : retired(std::move(r)) {}
    std::unique_ptr<Cell> retired;                     // folded-in values of destroyed shards
    std::vector<std::pair<const Shard*, Cell*>> cells;  // one per shard that wrote it
  };
  virtual std::unique_ptr<Cell> make_cell() const = 0;
  // Constructs a cell in a shard's arena (the shard's cells sit together,
  // away from other threads' cache lines).
  virtual Cell& emplace_cell(std::deque<Cell>& arena) const = 0;

  mutable std::mutex mu_;  // guards index_ and series_ (never held on the hot path)
  SeriesIndex index_;
  std::vector<Series> series_;

 private:
  friend class pushgw::metrics::Shard;
  struct Attached {
    Cell* cell;
    bool cacheable;  // false after overflow: the key is remembered nowhere
  };
  Attached attach(const Shard* shard, std::string_view key, std::deque<Cell>& arena);
  void detach(const Shard* shard) override;
};

}  // namespace detail

class CounterFamily final : public detail::CellFamily<Counter> {
 public:
  CounterFamily(std::string name, std::string help, std::vector<std::string> label_names, std::size_t max_series);
  // In-process readers (the stats op): every series' total over all shards,
  // with its label values in label order. fn runs under the family's lock
  // (it must not touch this family).
  void collect(const std::function<void(const std::vector<std::string>& values, uint64_t total)>& fn) const;

 private:
  uint64_t total_locked(std::size_t id) const;  // series id over every shard; mu_ held
  std::unique_ptr<Counter> make_cell() const override { return std::make_unique<Counter>(); }
  Counter& emplace_cell(std::deque<Counter>& arena) const override { return arena.emplace_back(); }
  void render_samples(std::string& out) const override;
};

class HistogramFamily final : public detail::CellFamily<Histogram> {
 public:
  HistogramFamily(std::string name, std::string help, std::vector<std::string> label_names,
                  std::vector<double> bounds, std::size_t max_series);
  std::span<const double> bounds() const { return bounds_; }
  // Like CounterFamily::collect: per-bucket (not cumulative) counts over all
  // shards, the last one +Inf, and the sum.
  void collect(const std::function<void(const std::vector<std::string>& values, std::span<const uint64_t> buckets,
                                        double sum)>& fn) const;

 private:
  // Sums series id over every shard into counts (per bucket) and returns the sum; mu_ held.
  double sum_locked(std::size_t id, std::vector<uint64_t>& counts) const;
  std::unique_ptr<Histogram> make_cell() const override { return std::make_unique<Histogram>(bounds_); }
  Histogram& emplace_cell(std::deque<Histogram>& arena) const override { return arena.emplace_back(bounds_); }
  void render_samples(std::string& out) const override;
  std::vector<double> bounds_;
  std::vector<std::string> le_;  // rendered bounds, "+Inf" last
};

// Values a callback family reports at scrape time.
class SampleSink {
 public:
  explicit SampleSink(std::size_t label_count) : label_count_(label_count) {}
  void add(std::initializer_list<std::string_view> label_values, double value) {
    add(LabelValues(label_values.begin(), label_values.size()), value);
  }
  void add(LabelValues label_values, double value);
  struct Sample {
    std::vector<std::string> values;
    double value;
  };
  const std::vector<Sample>& samples() const { return samples_; }

 private:
  std::size_t label_count_;
  std::vector<Sample> samples_;
};

class Registry {
 public:
  Registry() = default;
  ~Registry();
  Registry(const Registry&) = delete;
  Registry& operator=(const Registry&) = delete;

  // Registering an existing name with the same type and labels returns the
  // existing family. Names must follow Prometheus conventions (counters end
  // in _total); that is the caller's job, checked by the promtool test.
  CounterFamily& counter(std::string name, std::string help, std::vector<std::string> label_names = {},
                         std::size_t max_series = kDefaultMaxSeries);
  HistogramFamily& histogram(std::string name, std::string help, std::vector<std::string> label_names,
                             std::span<const double> bounds = kLatencyBuckets,
                             std::size_t max_series = kDefaultMaxSeries);

  // Callback families: fn runs on the scraping thread, inside render(), with
  // the registry locked (it must not call back into this Registry). Use them
  // for values another component already keeps (queue depth, connections).
  // A callback name can be registered once only (a second time aborts).
  void gauge_callback(std::string name, std::string help, std::function<double()> fn);
  void gauge_callback(std::string name, std::string help, std::vector<std::string> label_names,
                      std::function<void(SampleSink&)> fn);
  // A counter kept elsewhere (monotonic by the caller's promise).
  void counter_callback(std::string name, std::string help, std::vector<std::string> label_names,
                        std::function<void(SampleSink&)> fn);

  // Text format 0.0.4, families in registration order. Thread-safe.
  std::string render() const;
  void render(std::string& out) const;

 private:
  friend class Shard;
  detail::FamilyBase* find(const std::string& name) const;
  template <class F>
  F& add(std::unique_ptr<F> f);
  void render_overflow(std::string& out) const;

  mutable std::mutex mu_;  // guards families_; render holds it throughout
  std::vector<std::unique_ptr<detail::FamilyBase>> families_;
  std::atomic<int> shards_{0};
  mutable std::size_t last_size_ = 0;  // under mu_: reserve for the next render
};

// A writer thread's handle. Not thread-safe: one thread uses it (the thread
// may change, e.g. constructed on main and moved into a sender loop, as long
// as uses do not overlap). Returned pointers stay valid until ~Shard.
class Shard {
 public:
  explicit Shard(Registry& registry);
  ~Shard();
  Shard(const Shard&) = delete;
  Shard& operator=(const Shard&) = delete;

  // values.size() must equal the family's label count (missing values are
  // "", extra ones ignored). No lock and no allocation for a label set seen before.
  Counter* counter(CounterFamily& family, LabelValues values);
  Counter* counter(CounterFamily& family, std::initializer_list<std::string_view> values) {
    return counter(family, LabelValues(values.begin(), values.size()));
  }
  Histogram* histogram(HistogramFamily& family, LabelValues values);
  Histogram* histogram(HistogramFamily& family, std::initializer_list<std::string_view> values) {
    return histogram(family, LabelValues(values.begin(), values.size()));
  }

 private:
  template <class Cell>
  Cell* lookup(detail::CellFamily<Cell>& family, LabelValues values, std::deque<Cell>& arena);

  Registry& registry_;
  std::string key_;  // scratch: reused so lookups of known label sets do not allocate
  std::deque<Counter> counters_;
  std::deque<Histogram> histograms_;
  // Indexed by family id: canonical key -> this shard's cell (Counter* or
  // Histogram*, as the family's type says). A null map: family not touched.
  std::vector<std::unique_ptr<KeyMap<void*>>> caches_;
  std::vector<detail::FamilyBase*> touched_;
};

}  // namespace pushgw::metrics
