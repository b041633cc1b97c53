// Label-set interning for one metric family: canonical key -> series id,
// with the cardinality cap. Not thread-safe; the family's mutex guards it.
#pragma once
#include <cstdint>
#include <functional>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace pushgw::metrics {

using LabelValues = std::span<const std::string_view>;

// Hash map keyed by std::string, looked up by std::string_view.
struct KeyHash {
  using is_transparent = void;
  std::size_t operator()(std::string_view s) const noexcept { return std::hash<std::string_view>{}(s); }
};
template <class V>
using KeyMap = std::unordered_map<std::string, V, KeyHash, std::equal_to<>>;

// Appends the canonical key of a label set to out: for each of label_count
// labels, one length byte and the sanitized value (missing values are "").
// Allocates only when a value needs sanitizing (invalid UTF-8 or too long).
void encode_key(std::string& out, LabelValues values, std::size_t label_count);

class SeriesIndex {
 public:
  SeriesIndex(std::vector<std::string> label_names, std::size_t max_series);

  struct Found {
    uint32_t id;
    bool created;   // a new series was added (the caller grows its parallel arrays)
    bool overflow;  // the key was redirected and is not remembered
  };
  // key comes from encode_key with this family's label count.
  Found find_or_create(std::string_view key);

  // Rendered `a="x",b="y"` of a series (empty when the family has no labels).
  const std::string& labels(uint32_t id) const { return labels_[id]; }
  // Its label values, in label order.
  const std::vector<std::string>& values(uint32_t id) const { return values_[id]; }
  std::size_t size() const { return labels_.size(); }
  uint64_t overflowed() const { return overflowed_; }
  const std::vector<std::string>& label_names() const { return label_names_; }

 private:
  uint32_t create(std::string_view key);
  std::string overflow_key(std::string_view key) const;

  std::vector<std::string> label_names_;
  std::size_t max_series_;
  std::size_t overflow_label_;  // index of "reason", else the last label
  KeyMap<uint32_t> ids_;
  std::vector<std::string> labels_;
  std::vector<std::vector<std::string>> values_;
  uint64_t overflowed_ = 0;
};

}  // namespace pushgw::metrics
