// [spool]: parsed here, applied by Spool::open (options_from).
#include "spool/config.h"

namespace pushgw::spool {

SpoolConfig parse_config(config::Section& s) {
  SpoolConfig c;
  c.enabled = true;
  if (s.get_path("path", c.path) && c.path.empty()) s.error("path", "must not be empty");
  std::string fsync;
  if (s.get("fsync", fsync)) {
    if (fsync == "batch" || fsync == "always" || fsync == "off") {
      c.fsync = fsync;
    } else {
      s.error("fsync", "must be one of \"batch\", \"always\", \"off\"");
    }
  }
  return c;
}

Options options_from(const SpoolConfig& cfg) {
  Options o;
  o.dir = cfg.path;
  if (cfg.fsync == "always") o.fsync = FsyncMode::Always;
  else if (cfg.fsync == "off") o.fsync = FsyncMode::Off;
  else o.fsync = FsyncMode::Batch;
  return o;
}

}  // namespace pushgw::spool
