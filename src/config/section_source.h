// Internal to the config module: the TOML table behind a config::Section,
// and the keys its parser asked for, so that every other key can be reported
// as unknown once the parser returns (unknown keys are errors, never silently
// ignored).
#pragma once
#include <toml++/toml.h>

#include <string>
#include <string_view>
#include <vector>

#include "config/load_context.h"

namespace pushgw::config::detail {

std::string_view type_name(const toml::node& n);
int line_of(const toml::node& n, int fallback);

struct SectionSource {
  const toml::table& table;
  std::string path;  // how the section is named in messages ("server", "apns[1]")
  int line;          // of its header: for problems with no line of their own
  LoadContext& ctx;
  std::vector<std::string> known = {};  // keys a getter asked for
};

// Reports every key of the table no getter asked for. Call once, after the
// section's parser.
void reject_unknown_keys(SectionSource& s);

}  // namespace pushgw::config::detail
