#include "tz/zone_cache.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>

namespace pushgw::tz {
namespace {

// The largest real TZif file is a few KiB; anything far beyond is not one.
constexpr size_t kMaxFileBytes = 256 * 1024;

Result<std::string> read_small_file(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY);
  if (fd < 0) return make_error("tz_unknown", "no zone file");
  struct stat st{};
  if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || static_cast<uint64_t>(st.st_size) > kMaxFileBytes) {
    ::close(fd);
    return make_error("tz_unknown", "not a zone file");
  }
  std::string data(static_cast<size_t>(st.st_size), '\0');
  size_t got = 0;
  while (got < data.size()) {
    const ssize_t n = ::read(fd, data.data() + got, data.size() - got);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    got += static_cast<size_t>(n);
  }
  ::close(fd);
  data.resize(got);
  return data;
}

}  // namespace

ZoneCache::ZoneCache(std::string root, size_t max_zones) : root_(std::move(root)), max_zones_(max_zones) {}

bool ZoneCache::valid_name(std::string_view s) {
  if (s.empty() || s.size() > 64) return false;
  char prev = '/';  // so a leading '/' counts as an empty segment
  for (const char c : s) {
    const bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' ||
                    c == '-' || c == '+' || c == '/';
    // No '.' at all (so no "." or ".." segments), no empty segment, and no
    // segment starting with '-' (never an option to anything, but odd).
    if (!ok || (prev == '/' && (c == '/' || c == '-'))) return false;
    prev = c;
  }
  return prev != '/';
}

const Zone* ZoneCache::find(std::string_view name) {
  // The hit is the per-recipient path: no Result, no allocation.
  if (auto it = zones_.find(name); it != zones_.end()) return it->second.get();
  auto z = load(name);
  return z.ok() ? z.value() : nullptr;
}

Result<const Zone*> ZoneCache::load(std::string_view name) {
  if (auto it = zones_.find(name); it != zones_.end()) return it->second.get();
  if (!valid_name(name)) return make_error("tz_bad_name", "not a time zone name");
  if (zones_.size() >= max_zones_) return make_error("tz_cache_full", "too many distinct time zones");
  auto data = read_small_file(root_ + "/" + std::string(name));
  Result<Zone> zone = data.ok() ? Zone::parse_tzif(data.value()) : Result<Zone>(data.error());
  if (!zone.ok()) {
    // Without tzdata installed UTC still works.
    if (name != "UTC" && name != "Etc/UTC") return make_error("tz_unknown", "unknown time zone");
    zone = Zone::fixed(0);
  }
  auto [it, inserted] = zones_.emplace(std::string(name), std::make_unique<Zone>(std::move(zone.value())));
  return it->second.get();
}

}  // namespace pushgw::tz
