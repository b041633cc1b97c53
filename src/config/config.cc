// Entry points: read the file, parse TOML, hand each top-level section to its
// parser (sections.h), and turn collected diagnostics into the result.
#include "config/config.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

#include "config/sections.h"

namespace pushgw::config {
namespace detail {
namespace {

struct SectionDef {
  std::string_view name;
  SectionParser parse;
};

// The one place that knows which sections exist; each parser owns its keys.
constexpr SectionDef kSections[] = {
    {"server", parse_server}, {"store", parse_store},       {"metrics", parse_metrics}, {"tls", parse_tls},
    {"log", parse_log},       {"delivery", parse_delivery}, {"spool", parse_spool},     {"policy", parse_policy},
    {"apns", parse_apns},     {"fcm", parse_fcm},           {"webpush", parse_webpush}, {"ingest", parse_ingest},
};

SectionParser find_section(std::string_view name) {
  for (const auto& s : kSections) {
    if (s.name == name) return s.parse;
  }
  return nullptr;
}

bool looks_like_section(const toml::node& n) {
  if (n.is_table()) return true;
  const toml::array* a = n.as_array();
  return a && !a->empty() && a->is_array_of_tables();
}

std::string config_dir(const std::string& name) {
  std::error_code ec;
  const auto abs = std::filesystem::absolute(std::filesystem::path(name), ec);
  if (ec) return ".";
  return abs.lexically_normal().parent_path().string();
}

constexpr size_t kMaxConfigBytes = 16 << 20;

Result<std::string> read_config_file(const std::string& path) {
  const int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY);
  if (fd < 0) return make_error("config_io", path + ": cannot read: " + std::strerror(errno));
  std::string text;
  char buf[65536];
  for (;;) {
    const ssize_t n = read(fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      const int err = errno;
      close(fd);
      return make_error("config_io", path + ": cannot read: " + std::strerror(err));
    }
    if (n == 0) break;
    text.append(buf, static_cast<size_t>(n));
    if (text.size() > kMaxConfigBytes) {
      close(fd);
      return make_error("config_io", path + ": larger than 16 MiB; not a config file");
    }
  }
  close(fd);
  return text;
}

Result<toml::table> parse_toml(std::string_view text, const std::string& name) {
  try {
    return toml::parse(text, name);
  } catch (const toml::parse_error& e) {
    Diagnostics d(name);
    d.error(static_cast<int>(e.source().begin.line), "syntax error", e.description());
    return make_error("config_syntax", d.joined_errors());
  }
}

}  // namespace

std::string resolve_path(const std::string& base_dir, const std::string& path) {
  if (path.empty() || path.front() == '/') return path;
  return (std::filesystem::path(base_dir) / path).lexically_normal().string();
}

bool get_path(TableReader& r, std::string_view key, const LoadContext& ctx, std::string& out) {
  if (!r.get(key, out)) return false;
  out = resolve_path(ctx.base_dir, out);
  return true;
}

}  // namespace detail

Result<std::shared_ptr<const Config>> parse_config(std::string_view text, const std::string& name,
                                                   bool read_credentials) {
  auto root = detail::parse_toml(text, name);
  if (!root.ok()) return root.error();

  detail::Diagnostics diag(name);
  detail::LoadContext ctx{diag, detail::config_dir(name), read_credentials};
  auto cfg = std::make_shared<Config>();
  cfg->file = name;
  for (auto&& [key, node] : *root) {
    if (auto parse = detail::find_section(key.str())) {
      parse(node, key.str(), ctx, *cfg);
      continue;
    }
    const int line = static_cast<int>(key.source().begin.line);
    diag.error(line, key.str(), detail::looks_like_section(node) ? "unknown section" : "unknown key");
  }
  if (diag.has_errors()) return make_error("config_invalid", diag.joined_errors());
  cfg->warnings = diag.take_warnings();
  return std::shared_ptr<const Config>(std::move(cfg));
}

Result<std::shared_ptr<const Config>> load_config(const std::string& path) {
  auto text = detail::read_config_file(path);
  if (!text.ok()) return text.error();
  return parse_config(*text, path, true);
}

}  // namespace pushgw::config
