// Prometheus text exposition format 0.0.4: the pure pieces (escaping, number
// formatting, label sets). No state; used by the registry when a series is
// first seen (labels are rendered once) and on every scrape (numbers).
#pragma once
#include <cstdint>
#include <span>
#include <string>
#include <string_view>

namespace pushgw::metrics {

// Content-Type of GET /metrics.
inline constexpr std::string_view kTextContentType = "text/plain; version=0.0.4; charset=utf-8";

// Label values from the outside (provider reason codes, app names) are cut to
// this many bytes so a hostile peer cannot blow up scrape size.
inline constexpr std::size_t kMaxLabelValueBytes = 128;

// True for [a-zA-Z_:][a-zA-Z0-9_:]* (metric names) / [a-zA-Z_][a-zA-Z0-9_]*
// not starting with "__" (label names).
bool valid_metric_name(std::string_view name);
bool valid_label_name(std::string_view name);

// Appends v with \ " and newline escaped (label values).
void append_escaped_label_value(std::string& out, std::string_view v);
// Appends v with \ and newline escaped (HELP text).
void append_escaped_help(std::string& out, std::string_view v);

// Valid UTF-8, at most kMaxLabelValueBytes, cut on a code point boundary;
// invalid bytes become '?'. Prometheus rejects a scrape with invalid UTF-8.
std::string sanitize_label_value(std::string_view v);
// True when sanitize_label_value(v) == v (checked without allocating).
bool label_value_ok(std::string_view v);

// `a="x",b="y"` (no braces), values escaped. names.size() must equal values.size().
std::string render_label_pairs(std::span<const std::string> names, std::span<const std::string> values);

// Shortest text that parses back to the same double; NaN, +Inf, -Inf spelled
// the Prometheus way. Integral values print without exponent up to 2^53.
void append_double(std::string& out, double v);
void append_uint(std::string& out, uint64_t v);

}  // namespace pushgw::metrics
