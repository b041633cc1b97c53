// [spool]: the spool parses its own section. The rule: the spool is on when
// the config file has a [spool] table (its path defaults to
// /var/lib/pushgw/spool and must not be empty); a config without the table
// runs without a spool.
#pragma once
#include <string>

#include "config/section.h"
#include "spool/spool.h"

namespace pushgw::spool {

struct SpoolConfig {
  bool enabled = false;  // the file has a [spool] table
  std::string path = "/var/lib/pushgw/spool";
  std::string fsync = "batch";  // batch | always | off
};

// Parses [spool] (enabled = true); problems go to s.
SpoolConfig parse_config(config::Section& s);

Options options_from(const SpoolConfig& cfg);

}  // namespace pushgw::spool
