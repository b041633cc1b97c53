// Runs `promtool check metrics` on exposition text (tests only).
#pragma once
#include <string>

namespace pushgw::metrics::testing {

// Path of promtool on $PATH, or "" when it is not installed.
std::string find_promtool();

struct PromtoolResult {
  int exit_code = -1;
  std::string output;  // stdout + stderr: lint problems, one per line
};
PromtoolResult promtool_check(const std::string& promtool, const std::string& text);

}  // namespace pushgw::metrics::testing
