#include "metrics/series_index.h"

#include <algorithm>

#include "metrics/exposition.h"

namespace pushgw::metrics {
namespace {

static_assert(kMaxLabelValueBytes < 256, "a key stores each value's length in one byte");

void append_value(std::string& out, std::string_view v) {
  out += static_cast<char>(static_cast<unsigned char>(v.size()));
  out.append(v);
}

std::vector<std::string> decode_key(std::string_view key) {
  std::vector<std::string> values;
  std::size_t i = 0;
  while (i < key.size()) {
    const std::size_t len = static_cast<unsigned char>(key[i]);
    values.emplace_back(key.substr(i + 1, len));
    i += 1 + len;
  }
  return values;
}

}  // namespace

void encode_key(std::string& out, LabelValues values, std::size_t label_count) {
  for (std::size_t i = 0; i < label_count; ++i) {
    const std::string_view v = i < values.size() ? values[i] : std::string_view();
    if (label_value_ok(v)) {
      append_value(out, v);
    } else {
      append_value(out, sanitize_label_value(v));
    }
  }
}

SeriesIndex::SeriesIndex(std::vector<std::string> label_names, std::size_t max_series)
    : label_names_(std::move(label_names)), max_series_(std::max<std::size_t>(max_series, 1)) {
  auto it = std::find(label_names_.begin(), label_names_.end(), "reason");
  overflow_label_ = it != label_names_.end() ? static_cast<std::size_t>(it - label_names_.begin())
                                             : (label_names_.empty() ? 0 : label_names_.size() - 1);
  if (label_names_.empty()) create({});  // the one series exists from the start, at 0
}

uint32_t SeriesIndex::create(std::string_view key) {
  const auto id = static_cast<uint32_t>(labels_.size());
  std::vector<std::string> values = decode_key(key);
  labels_.push_back(render_label_pairs(label_names_, values));
  values_.push_back(std::move(values));
  ids_.emplace(std::string(key), id);
  return id;
}

std::string SeriesIndex::overflow_key(std::string_view key) const {
  std::vector<std::string> values = decode_key(key);
  values[overflow_label_] = "other";
  std::vector<std::string_view> views(values.begin(), values.end());
  std::string out;
  encode_key(out, views, label_names_.size());
  return out;
}

SeriesIndex::Found SeriesIndex::find_or_create(std::string_view key) {
  if (auto it = ids_.find(key); it != ids_.end()) return {it->second, false, false};
  if (labels_.size() < max_series_) return {create(key), true, false};
  ++overflowed_;
  if (auto it = ids_.find(overflow_key(key)); it != ids_.end()) return {it->second, false, true};
  // Every label "other": one extra series past the cap, at most.
  std::string catch_all;
  std::vector<std::string_view> others(label_names_.size(), "other");
  encode_key(catch_all, others, label_names_.size());
  if (auto it = ids_.find(catch_all); it != ids_.end()) return {it->second, false, true};
  return {create(catch_all), true, true};
}

}  // namespace pushgw::metrics
