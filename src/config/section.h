// What a module's config parser sees of its section (h2o's configurators:
// each module parses and validates its own section; config/ only loads the
// TOML, hands each section to the parser registered for it (schema.h) and
// collects the problems).
//
// Getters are typed and know the line of every key. Each getter marks its key
// as known; keys no getter asked for are reported as unknown after the parser
// returns. Problems are reported with error()/warning() as
// "file:line: section.key: problem"; a parser reports every problem it finds
// and keeps going, so one --check-config run lists them all. Paths are
// resolved against the config file's directory.
//
// A Section lives only during its parser's call.
#pragma once
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace pushgw::config {

namespace detail {
struct SectionSource;
}  // namespace detail

class Section {
 public:
  explicit Section(detail::SectionSource& src) : src_(src) {}
  Section(const Section&) = delete;
  Section& operator=(const Section&) = delete;

  // How the section is named in messages: "spool", "apns[1]", "ingest.redis".
  const std::string& name() const;
  int line() const;  // of its header

  // Absent key: false, out untouched. Present with the wrong type or out of
  // range: an error is reported and false returned.
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
  // A float or an integer (1 reads as 1.0), within [min, max].
  bool get_number(std::string_view key, double& out, double min, double max);
  // An array of uid/gid numbers (0 .. 2^32-2).
  bool get_id_list(std::string_view key, std::vector<uint32_t>& out);
  // Like get(), but a missing or empty key is an error.
  bool require(std::string_view key, std::string& out);
  // Like get(); a relative path is made absolute against the config's
  // directory ("" stays "").
  bool get_path(std::string_view key, std::string& out);
  std::string resolve(const std::string& path) const;

  int line_of(std::string_view key) const;
  void error(std::string_view key, std::string_view problem);
  void warning(std::string_view key, std::string_view problem);

  // False when a text is parsed without reading the files it names (tests,
  // fuzzing): credential and CA files are then left alone.
  bool read_files() const;

 private:
  detail::SectionSource& src_;  // the table, its name and the keys asked for
};

}  // namespace pushgw::config
