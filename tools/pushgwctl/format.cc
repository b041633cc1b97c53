#include "format.h"

#include <simdjson.h>

#include <algorithm>
#include <cstdio>
#include <cctype>
#include <utility>

#include "json_util.h"
#include "table.h"

namespace pushgw::ctl {
namespace {

using simdjson::dom::array;
using simdjson::dom::element;
using simdjson::dom::object;

constexpr size_t kTokenWidth = 16;

Result<object> parse(simdjson::dom::parser& parser, std::string_view response) {
  auto obj = parse_object(parser, response);
  if (!obj.ok()) return make_error("bad_response", "daemon response is " + obj.error().message);
  return obj;
}

std::string field(const object& o, std::string_view key) {
  element e;
  if (o.at_key(key).get(e)) return "";
  return cell_text(e);
}

// Web Push rows carry "endpoint" where the others carry "token".
std::string recipient(const object& o) {
  std::string t = field(o, "token");
  if (t.empty()) t = field(o, "endpoint");
  return truncate(t, kTokenWidth);
}

array array_field(const object& o, std::string_view key) {
  array a;
  if (o.at_key(key).get_array().get(a)) return array();
  return a;
}

bool has_field(const object& o, std::string_view key) {
  element e;
  return !o.at_key(key).get(e);
}

std::string rejected_table(const array& rejected) {
  Table t({{"N", Align::Right}, {"TOKEN"}, {"ERROR"}, {"MESSAGE"}});
  for (element e : rejected) {
    object r;
    if (e.get_object().get(r)) continue;
    t.add_row({field(r, "n"), recipient(r), field(r, "error"), field(r, "message")});
  }
  return t.render();
}

// "2 delivered, 1 unsubscribed" in order of first appearance.
std::string status_summary(const array& results) {
  std::vector<std::pair<std::string, size_t>> counts;
  for (element e : results) {
    object r;
    if (e.get_object().get(r)) continue;
    const std::string s = field(r, "status");
    auto it = std::find_if(counts.begin(), counts.end(), [&](const auto& c) { return c.first == s; });
    if (it == counts.end()) {
      counts.emplace_back(s, 1);
    } else {
      ++it->second;
    }
  }
  std::string out;
  for (const auto& [status, n] : counts) {
    if (!out.empty()) out += ", ";
    out += std::to_string(n) + " " + sanitize(status);
  }
  return out;
}

std::string results_table(const array& results, const std::vector<std::string>& platforms) {
  Table t({{"N", Align::Right}, {"PLATFORM"}, {"TOKEN"}, {"STATUS"}, {"HTTP_STATUS", Align::Right}, {"REASON"}});
  for (element e : results) {
    object r;
    if (e.get_object().get(r)) continue;
    std::string platform = field(r, "platform");
    uint64_t n = 0;
    if (platform.empty() && !r.at_key("n").get_uint64().get(n) && n < platforms.size()) platform = platforms[n];
    t.add_row({field(r, "n"), platform, recipient(r), field(r, "status"), field(r, "http_status"), field(r, "reason")});
  }
  return t.render();
}

}  // namespace

Result<ResponseStatus> response_status(std::string_view response) {
  simdjson::dom::parser parser;
  auto obj = parse(parser, response);
  if (!obj.ok()) return obj.error();
  ResponseStatus st;
  if (obj->at_key("ok").get_bool().get(st.ok)) return make_error("bad_response", "daemon response has no \"ok\"");
  if (!st.ok) {
    st.error = sanitize(field(*obj, "error"));
    st.message = sanitize(field(*obj, "message"));
  }
  return st;
}

Result<std::string> format_send(std::string_view response, const std::vector<std::string>& platforms) {
  simdjson::dom::parser parser;
  auto obj = parse(parser, response);
  if (!obj.ok()) return obj.error();
  const array rejected = array_field(*obj, "rejected");
  std::string out = "accepted: " + sanitize(field(*obj, "accepted")) + "  rejected: ";
  // A long list is cut short by the daemon: the total says how many.
  if (has_field(*obj, "rejected_total"))
    out += sanitize(field(*obj, "rejected_total")) + " (first " + std::to_string(rejected.size()) + " listed)";
  else
    out += std::to_string(rejected.size());
  out += "\n";
  if (rejected.size() > 0) out += "\n" + rejected_table(rejected);
  if (has_field(*obj, "results")) {
    const array results = array_field(*obj, "results");
    out += "\nresults: " + std::to_string(results.size());
    out += results.size() > 0 ? " (" + status_summary(results) + ")\n" + results_table(results, platforms) : "\n";
  }
  return out;
}

namespace {
// Nested objects (latency_ms, store) become dotted rows: "latency_ms.e2e.p99".
void add_flat(Table& t, const std::string& prefix, element v) {
  object o;
  if (!v.get_object().get(o)) {
    for (auto kv : o) add_flat(t, prefix + "." + std::string(kv.key), kv.value);
    return;
  }
  t.add_row({prefix, cell_text(v)});
}

std::string upper(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char ch) { return static_cast<char>(std::toupper(ch)); });
  return s;
}

// One object of an array as (column, cell) pairs: nested objects flattened
// ("latency_ms.provider.p99" -> PROVIDER_P99), sample counts left out.
void flatten_row(const std::string& prefix, object o, std::vector<std::pair<std::string, std::string>>& out) {
  for (auto kv : o) {
    std::string name = prefix.empty() ? std::string(kv.key) : prefix + "_" + std::string(kv.key);
    object inner;
    if (!kv.value.get_object().get(inner)) {
      flatten_row(kv.key == "latency_ms" && prefix.empty() ? "" : name, inner, out);
    } else if (kv.key != "count") {
      out.emplace_back(upper(name), cell_text(kv.value));
    }
  }
}

// "apps", "breakers", "suspect": an array of objects is a table of its own.
std::string array_table(std::string_view name, const array& items) {
  std::vector<std::vector<std::pair<std::string, std::string>>> rows;
  std::vector<std::string> columns;  // union, in first-seen order
  for (element e : items) {
    object o;
    if (e.get_object().get(o)) continue;
    rows.emplace_back();
    flatten_row("", o, rows.back());
    for (const auto& [col, cell] : rows.back()) {
      if (std::find(columns.begin(), columns.end(), col) == columns.end()) columns.push_back(col);
    }
  }
  if (rows.empty()) return std::string(name) + ": none\n";
  std::vector<Column> cols;
  for (const auto& c : columns) cols.push_back({c, c == "PLATFORM" || c == "APP" || c == "ORIGIN" ? Align::Left : Align::Right});
  Table t(std::move(cols));
  for (const auto& r : rows) {
    std::vector<std::string> cells(columns.size());
    for (const auto& [col, cell] : r) cells[std::find(columns.begin(), columns.end(), col) - columns.begin()] = cell;
    t.add_row(std::move(cells));
  }
  return std::string(name) + ":\n" + t.render();
}
}  // namespace

Result<std::string> format_stats(std::string_view response) {
  simdjson::dom::parser parser;
  auto obj = parse(parser, response);
  if (!obj.ok()) return obj.error();
  object platforms;
  std::vector<std::string> counters;  // union over platforms, in first-seen order
  if (!obj->at_key("platforms").get_object().get(platforms)) {
    for (auto p : platforms) {
      object c;
      if (p.value.get_object().get(c)) continue;
      for (auto kv : c) {
        if (std::find(counters.begin(), counters.end(), kv.key) == counters.end()) counters.emplace_back(kv.key);
      }
    }
  }
  std::vector<Column> cols{{"PLATFORM"}};
  for (const auto& c : counters) cols.push_back({upper(c), Align::Right});
  Table t(std::move(cols));
  for (auto p : platforms) {
    object c;
    if (p.value.get_object().get(c)) continue;
    std::vector<std::string> row{std::string(p.key)};
    for (const auto& name : counters) row.push_back(field(c, name));
    t.add_row(std::move(row));
  }
  Table gauges({{""}, {"", Align::Right}});
  std::string tables;
  for (auto kv : *obj) {
    if (kv.key == "id" || kv.key == "ok" || kv.key == "platforms") continue;
    array items;
    if (!kv.value.get_array().get(items)) {
      tables += "\n" + array_table(kv.key, items);
    } else {
      add_flat(gauges, std::string(kv.key), kv.value);
    }
  }
  std::string out = t.render();
  if (gauges.rows() > 0) out += "\n" + gauges.render(false);
  return out + tables;
}

Result<FeedbackPage> format_feedback(std::string_view response, bool json, bool with_header) {
  simdjson::dom::parser parser;
  auto obj = parse(parser, response);
  if (!obj.ok()) return obj.error();
  FeedbackPage page;
  page.has_next = !obj->at_key("next").get_uint64().get(page.next);
  // Minimum widths keep the pages of --follow aligned with the first header.
  Table t({{"SEQ", Align::Right, 6},
           {"AT", Align::Left, 20},
           {"PLATFORM", Align::Left, 8},
           {"APP", Align::Left, 12},
           {"TOKEN", Align::Left, kTokenWidth + 1},
           {"KIND", Align::Left, 12},
           {"REASON", Align::Left, 20},
           {"CAMPAIGN"}});
  for (element e : array_field(*obj, "events")) {
    ++page.count;
    object ev;
    if (json) {
      page.text += simdjson::minify(e) + "\n";
    } else if (!e.get_object().get(ev)) {
      t.add_row({field(ev, "seq"), field(ev, "at"), field(ev, "platform"), field(ev, "app"), recipient(ev),
                 field(ev, "kind"), field(ev, "reason"), field(ev, "campaign")});
    }
  }
  if (!json && (t.rows() > 0 || with_header)) page.text = t.render(with_header);
  return page;
}

Result<std::string> format_scheduled(std::string_view response) {
  simdjson::dom::parser parser;
  auto obj = parse(parser, response);
  if (!obj.ok()) return obj.error();
  Table t({{"ID"}, {"SEND_AT"}, {"REASON"}, {"PLATFORM"}, {"APP"}, {"TOKEN"}, {"CAMPAIGN"}});
  for (element e : array_field(*obj, "scheduled")) {
    object s;
    if (e.get_object().get(s)) continue;
    t.add_row({field(s, "id"), field(s, "send_at"), field(s, "reason"), field(s, "platform"), field(s, "app"),
               recipient(s), field(s, "campaign")});
  }
  std::string out = t.render(true);
  bool truncated = false;
  if (!obj->at_key("truncated").get_bool().get(truncated) && truncated) out += "truncated: true\n";
  return out;
}

std::string percent_text(double ratio) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f%%", ratio * 100.0);
  return buf;
}

namespace {
// "key: value" rows for every member but id and ok; cell(key, value) renders
// the value. "ok" when there is no other member.
template <class Cell>
Result<std::string> key_value_rows(std::string_view response, Cell&& cell) {
  simdjson::dom::parser parser;
  auto obj = parse(parser, response);
  if (!obj.ok()) return obj.error();
  Table t({{""}, {""}});
  for (auto kv : *obj) {
    if (kv.key == "id" || kv.key == "ok") continue;
    t.add_row({std::string(kv.key) + ":", cell(kv.key, kv.value)});
  }
  if (t.rows() == 0) return std::string("ok\n");
  return t.render(false);
}
}  // namespace

Result<std::string> format_campaign(std::string_view response) {
  return key_value_rows(response, [](std::string_view key, element value) {
    const bool rate = key == "ctr" || (key.size() > 5 && key.substr(key.size() - 5) == "_rate");
    double v = 0;
    return rate && !value.get_double().get(v) ? percent_text(v) : cell_text(value);
  });
}

Result<std::string> format_fields(std::string_view response) {
  return key_value_rows(response, [](std::string_view, element value) { return cell_text(value); });
}

}  // namespace pushgw::ctl
