// One parser per config section; config.cc maps section names to them.
// Each parser validates its own keys and writes only its own part of Config.
// Internal to the config module.
#pragma once
#include <toml++/toml.h>

#include <string>
#include <string_view>

#include "config/config.h"
#include "config/diagnostics.h"
#include "config/table_reader.h"

namespace pushgw::config::detail {

struct LoadContext {
  Diagnostics& diag;
  std::string base_dir;  // absolute directory of the config file
  bool read_credentials = true;
};

// node is the value under the section's name at the top level of the file.
using SectionParser = void (*)(const toml::node& node, std::string_view name, LoadContext& ctx, Config& cfg);

void parse_server(const toml::node& node, std::string_view name, LoadContext& ctx, Config& cfg);
void parse_store(const toml::node& node, std::string_view name, LoadContext& ctx, Config& cfg);
void parse_metrics(const toml::node& node, std::string_view name, LoadContext& ctx, Config& cfg);
void parse_tls(const toml::node& node, std::string_view name, LoadContext& ctx, Config& cfg);
void parse_log(const toml::node& node, std::string_view name, LoadContext& ctx, Config& cfg);
void parse_delivery(const toml::node& node, std::string_view name, LoadContext& ctx, Config& cfg);
void parse_spool(const toml::node& node, std::string_view name, LoadContext& ctx, Config& cfg);
void parse_policy(const toml::node& node, std::string_view name, LoadContext& ctx, Config& cfg);
void parse_ingest(const toml::node& node, std::string_view name, LoadContext& ctx, Config& cfg);
void parse_apns(const toml::node& node, std::string_view name, LoadContext& ctx, Config& cfg);
void parse_fcm(const toml::node& node, std::string_view name, LoadContext& ctx, Config& cfg);
void parse_webpush(const toml::node& node, std::string_view name, LoadContext& ctx, Config& cfg);

// Shared helpers for section parsers.

// Runs fn(TableReader&) if node is a table, otherwise reports the type error.
template <class Fn>
void with_table(const toml::node& node, std::string_view name, LoadContext& ctx, Fn&& fn) {
  const toml::table* t = node.as_table();
  if (!t) {
    ctx.diag.error(line_of(node, 0), name,
                   "expected a table ([" + std::string(name) + "]), got " + std::string(type_name(node)));
    return;
  }
  TableReader r(*t, std::string(name), line_of(node, 1), ctx.diag);
  fn(r);
  r.reject_unknown_keys();
}

// Absolute path: path itself if absolute, else base_dir/path. "" stays "".
std::string resolve_path(const std::string& base_dir, const std::string& path);

// Reads an optional path key, resolving it against the config's directory.
bool get_path(TableReader& r, std::string_view key, const LoadContext& ctx, std::string& out);

}  // namespace pushgw::config::detail
