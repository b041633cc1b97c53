// How the [spool] section turns into Options, and when the spool is on.
//
// The rule: the spool is enabled exactly when the config file has a [spool]
// table. config::SpoolConfig carries a default path but no "present" flag,
// and an empty path is rejected by the validator, so presence of the table
// is the only explicit switch available without changing config.h; it is
// read back from the (already validated) file here.
#include <toml++/toml.h>

#include "config/config.h"
#include "spool/spool.h"

namespace pushgw::spool {

bool enabled(const config::Config& cfg) {
  if (cfg.spool.path.empty() || cfg.file.empty()) return false;
  try {
    toml::table t = toml::parse_file(cfg.file);
    return t.contains("spool");
  } catch (const std::exception&) {
    return false;  // unreadable now: it was valid at load; treat as no spool
  }
}

Options options_from(const config::Config& cfg) {
  Options o;
  o.dir = cfg.spool.path;
  if (cfg.spool.fsync == "always") o.fsync = FsyncMode::Always;
  else if (cfg.spool.fsync == "off") o.fsync = FsyncMode::Off;
  else o.fsync = FsyncMode::Batch;
  return o;
}

}  // namespace pushgw::spool
