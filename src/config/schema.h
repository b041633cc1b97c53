// Which sections a config file may have and who parses each: the composition
// root registers one parser per section, each owned by the module the
// section configures. load()/parse() run them all and report every problem,
// including sections and keys nobody registered ("unknown section", "unknown
// key").
#pragma once
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "config/section.h"
#include "pushgw/result.h"

namespace pushgw::config {

class Schema {
 public:
  using Parse = std::function<void(Section&)>;

  // [name]: one table.
  Schema& table(std::string name, Parse parse);
  // [[name]]: an array of tables; parse runs once per element ("name[i]").
  Schema& array(std::string name, Parse parse);
  // [parent.name]: a table inside [parent], which has no keys of its own.
  Schema& subtable(std::string parent, std::string name, Parse parse);

  struct Entry {
    enum class Kind { Table, Array, Container };
    std::string name;
    Kind kind = Kind::Table;
    Parse parse;                 // Table, Array
    std::vector<Entry> subs;     // Container: its [parent.name] tables
  };
  const Entry* find(std::string_view name) const;

 private:
  std::vector<Entry> entries_;
};

// What a successful load leaves besides what the parsers stored.
struct Loaded {
  std::string file;                   // the name it was loaded as
  std::vector<std::string> warnings;  // "file:line: key: problem", in file order
};

// Errors: code "config_io" (the config file itself cannot be read),
// "config_syntax" (TOML syntax error), "config_invalid" (everything else).
// Every problem found is reported, one "file:line: key: problem" per line of
// Error.message (joined with '\n'); warnings use the same format.
Result<Loaded> load(const std::string& path, const Schema& schema);
// Same, from text (tests, fuzzing); read_files = false leaves the files the
// sections name alone (Section::read_files()).
Result<Loaded> parse(std::string_view text, const std::string& name, const Schema& schema, bool read_files = true);

}  // namespace pushgw::config
