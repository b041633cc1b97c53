// Internal to the config module: what every section parser of one load
// shares.
#pragma once
#include <string>

#include "config/diagnostics.h"

namespace pushgw::config::detail {

struct LoadContext {
  Diagnostics& diag;
  std::string base_dir;  // absolute directory of the config file
  bool read_credentials = true;
};

// Absolute path: path itself if absolute, else base_dir/path. "" stays "".
std::string resolve_path(const std::string& base_dir, const std::string& path);

}  // namespace pushgw::config::detail
