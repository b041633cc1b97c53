// Whole-file reads and writes for credentials and generated material.
#pragma once
#include <string>
#include <string_view>

#include "pushgw/result.h"

namespace pushgw::sim {

// Errors: "io_error" naming the path.
Result<std::string> read_file(const std::string& path);
// Writes via "<path>.tmp" + rename so readers never see a partial file;
// mode applies to the new file (0600 for secrets).
Result<void> write_file(const std::string& path, std::string_view data, unsigned mode);

}  // namespace pushgw::sim
