// The loader: read the file, parse TOML, hand each top-level section to the
// parser the schema registered for it, and turn the collected diagnostics
// into the result.
#include "config/schema.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <toml++/toml.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

#include "config/diagnostics.h"
#include "config/load_context.h"
#include "config/section_source.h"

namespace pushgw::config {

Schema& Schema::table(std::string name, Parse parse) {
  entries_.push_back(Entry{std::move(name), Entry::Kind::Table, std::move(parse), {}});
  return *this;
}

Schema& Schema::array(std::string name, Parse parse) {
  entries_.push_back(Entry{std::move(name), Entry::Kind::Array, std::move(parse), {}});
  return *this;
}

Schema& Schema::subtable(std::string parent, std::string name, Parse parse) {
  Entry* container = nullptr;
  for (Entry& e : entries_)
    if (e.name == parent && e.kind == Entry::Kind::Container) container = &e;
  if (container == nullptr) {
    entries_.push_back(Entry{std::move(parent), Entry::Kind::Container, nullptr, {}});
    container = &entries_.back();
  }
  container->subs.push_back(Entry{std::move(name), Entry::Kind::Table, std::move(parse), {}});
  return *this;
}

const Schema::Entry* Schema::find(std::string_view name) const {
  for (const Entry& e : entries_)
    if (e.name == name) return &e;
  return nullptr;
}

namespace detail {

std::string resolve_path(const std::string& base_dir, const std::string& path) {
  if (path.empty() || path.front() == '/') return path;
  return (std::filesystem::path(base_dir) / path).lexically_normal().string();
}

namespace {

using Entry = Schema::Entry;

bool looks_like_section(const toml::node& n) {
  if (n.is_table()) return true;
  const toml::array* a = n.as_array();
  return a && !a->empty() && a->is_array_of_tables();
}

// Runs parse over one table, then flags the keys it did not ask for.
void parse_table(const toml::table& t, const std::string& path, int line, LoadContext& ctx, const Schema::Parse& parse) {
  SectionSource src{t, path, line, ctx};
  Section s(src);
  parse(s);
  reject_unknown_keys(src);
}

void visit_table(const toml::node& node, const std::string& name, LoadContext& ctx, const Schema::Parse& parse) {
  const toml::table* t = node.as_table();
  if (!t) {
    ctx.diag.error(line_of(node, 0), name, "expected a table ([" + name + "]), got " + std::string(type_name(node)));
    return;
  }
  parse_table(*t, name, line_of(node, 1), ctx, parse);
}

void visit_array(const toml::node& node, const std::string& name, LoadContext& ctx, const Schema::Parse& parse) {
  const toml::array* arr = node.as_array();
  if (!arr) {
    ctx.diag.error(line_of(node, 0), name,
                   "expected an array of tables ([[" + name + "]]), got " + std::string(type_name(node)));
    return;
  }
  for (size_t i = 0; i < arr->size(); ++i) {
    const toml::node& el = *arr->get(i);
    const std::string path = name + "[" + std::to_string(i) + "]";
    const toml::table* t = el.as_table();
    if (!t) {
      ctx.diag.error(line_of(el, line_of(node, 0)), path, "expected a table, got " + std::string(type_name(el)));
      continue;
    }
    parse_table(*t, path, line_of(*t, line_of(node, 0)), ctx, parse);
  }
}

// [parent] holds only its [parent.name] tables.
void visit_container(const toml::node& node, const Entry& e, LoadContext& ctx) {
  const toml::table* t = node.as_table();
  if (!t) {
    const std::string first = e.subs.empty() ? "" : "." + e.subs.front().name;
    ctx.diag.error(line_of(node, 0), e.name,
                   "expected a table ([" + e.name + first + "]), got " + std::string(type_name(node)));
    return;
  }
  for (auto&& [key, sub] : *t) {
    const std::string path = e.name + "." + std::string(key.str());
    const Entry* known = nullptr;
    for (const Entry& s : e.subs)
      if (s.name == key.str()) known = &s;
    if (known) {
      visit_table(sub, path, ctx, known->parse);
    } else {
      const int line = line_of(sub, static_cast<int>(key.source().begin.line));
      ctx.diag.error(line, path, sub.is_table() ? "unknown section" : "unknown key");
    }
  }
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
}  // namespace detail

Result<Loaded> parse(std::string_view text, const std::string& name, const Schema& schema, bool read_files) {
  auto root = detail::parse_toml(text, name);
  if (!root.ok()) return root.error();

  detail::Diagnostics diag(name);
  detail::LoadContext ctx{diag, detail::config_dir(name), read_files};
  for (auto&& [key, node] : *root) {
    const std::string section(key.str());
    if (const Schema::Entry* e = schema.find(section)) {
      switch (e->kind) {
        case Schema::Entry::Kind::Table: detail::visit_table(node, section, ctx, e->parse); break;
        case Schema::Entry::Kind::Array: detail::visit_array(node, section, ctx, e->parse); break;
        case Schema::Entry::Kind::Container: detail::visit_container(node, *e, ctx); break;
      }
      continue;
    }
    const int line = static_cast<int>(key.source().begin.line);
    diag.error(line, section, detail::looks_like_section(node) ? "unknown section" : "unknown key");
  }
  if (diag.has_errors()) return make_error("config_invalid", diag.joined_errors());
  return Loaded{name, diag.take_warnings()};
}

Result<Loaded> load(const std::string& path, const Schema& schema) {
  auto text = detail::read_config_file(path);
  if (!text.ok()) return text.error();
  return parse(*text, path, schema, true);
}

}  // namespace pushgw::config
