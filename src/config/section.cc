#include "config/section.h"

#include "config/load_context.h"
#include "config/table_reader.h"

namespace pushgw::config {

const std::string& Section::name() const { return r_.path(); }
int Section::line() const { return r_.line(); }
bool Section::get(std::string_view key, std::string& out) { return r_.get(key, out); }
bool Section::get(std::string_view key, bool& out) { return r_.get(key, out); }
bool Section::get_int(std::string_view key, int64_t& out, int64_t min, int64_t max) {
  return r_.get_int(key, out, min, max);
}
bool Section::get_number(std::string_view key, double& out, double min, double max) {
  return r_.get_number(key, out, min, max);
}
bool Section::get_id_list(std::string_view key, std::vector<uint32_t>& out) { return r_.get_id_list(key, out); }
bool Section::require(std::string_view key, std::string& out) { return r_.require(key, out); }

bool Section::get_path(std::string_view key, std::string& out) {
  if (!r_.get(key, out)) return false;
  out = resolve(out);
  return true;
}

std::string Section::resolve(const std::string& path) const { return detail::resolve_path(ctx_.base_dir, path); }
int Section::line_of(std::string_view key) const { return r_.line_of(key); }
void Section::error(std::string_view key, std::string_view problem) { r_.error(key, problem); }
void Section::warning(std::string_view key, std::string_view problem) { r_.warning(key, problem); }
bool Section::read_files() const { return ctx_.read_credentials; }

}  // namespace pushgw::config
