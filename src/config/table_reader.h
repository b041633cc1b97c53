// Typed, line-aware access to one TOML table (a config section). Every getter
// remembers the key as known, so reject_unknown_keys() can flag the rest:
// unknown keys are errors, never silently ignored. Internal to the module.
#pragma once
#include <toml++/toml.h>

#include <cstdint>
#include <limits>
#include <string>
#include <string_view>
#include <vector>

#include "config/diagnostics.h"

namespace pushgw::config::detail {

std::string_view type_name(const toml::node& n);
int line_of(const toml::node& n, int fallback);

class TableReader {
 public:
  // path is how the section is named in messages ("server", "apns[1]");
  // line is the line of its header, used for problems with no line of their own.
  TableReader(const toml::table& table, std::string path, int line, Diagnostics& diag)
      : table_(table), path_(std::move(path)), line_(line), diag_(diag) {}

  // Absent key: returns false and leaves out untouched. Present with the
  // wrong type or out of range: reports an error and returns false.
  bool get(std::string_view key, std::string& out);
  bool get(std::string_view key, bool& out);
  bool get_int(std::string_view key, int64_t& out, int64_t min, int64_t max);
  template <class Int>
  bool get_int(std::string_view key, Int& out, int64_t min, int64_t max) {
    int64_t v = 0;
    if (!get_int(key, v, min, max)) return false;
    out = static_cast<Int>(v);
    return true;
  }
  // A float or an integer, within [min, max].
  bool get_number(std::string_view key, double& out, double min, double max);
  // An array of uid/gid numbers (0 .. 2^32-2).
  bool get_id_list(std::string_view key, std::vector<uint32_t>& out);

  // Like get(), but a missing or empty key is an error.
  bool require(std::string_view key, std::string& out);

  const std::string& path() const { return path_; }
  int line() const { return line_; }
  int line_of(std::string_view key) const;
  std::string path_of(std::string_view key) const;
  void error(std::string_view key, std::string_view problem);
  void warning(std::string_view key, std::string_view problem);

  // Reports every key no getter asked for. Call once, after the getters.
  void reject_unknown_keys();

 private:
  const toml::node* find(std::string_view key);
  void wrong_type(std::string_view key, const toml::node& n, std::string_view expected);

  const toml::table& table_;
  std::string path_;
  int line_;
  Diagnostics& diag_;
  std::vector<std::string> known_;
};

}  // namespace pushgw::config::detail
