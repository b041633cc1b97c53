// Zones by IANA name ("Europe/Berlin"), each read and parsed once from the
// zoneinfo directory and kept for the life of the cache.
//
// Owned by one thread (the gateway's loop); not thread-safe. Failed lookups
// are not remembered, so a client sending made-up names costs a failed
// open() each, never memory; successful ones are bounded by the names tzdata
// has (about 600), and by max_zones in any case.
#pragma once
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>

#include "pushgw/result.h"
#include "tz/zone.h"

namespace pushgw::tz {

inline constexpr std::string_view kZoneinfoDir = "/usr/share/zoneinfo";

class ZoneCache {
 public:
  explicit ZoneCache(std::string root = std::string(kZoneinfoDir), size_t max_zones = 2048);

  // The zone, or nullptr when the name is invalid or names no TZif file.
  const Zone* find(std::string_view name);
  // The same with the reason. Errors: "tz_bad_name" (not a plausible zone
  // name: empty, absolute, "..", odd characters), "tz_unknown" (no such
  // file, or not TZif), "tz_cache_full".
  Result<const Zone*> load(std::string_view name);

  // Letters, digits and "/_-+", at most 64 bytes, no leading or trailing
  // "/", no empty segment, no ".": a name that can only resolve inside the
  // zoneinfo root.
  static bool valid_name(std::string_view name);
  size_t size() const { return zones_.size(); }

 private:
  struct Hash {
    using is_transparent = void;
    size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
  };
  std::string root_;
  size_t max_zones_;
  std::unordered_map<std::string, std::unique_ptr<Zone>, Hash, std::equal_to<>> zones_;
};

}  // namespace pushgw::tz
