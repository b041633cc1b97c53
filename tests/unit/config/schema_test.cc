// The loader and the Section API with a schema made up here: what the
// modules' parsers rely on (typed getters, unknown keys and sections,
// [[arrays]] and [parent.sub] tables, path resolution, every problem in one
// message in file order, warnings, syntax and I/O errors).
#include "config/schema.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace pushgw::config {
namespace {

struct Seen {
  std::string name;
  int64_t count = 0;
  bool flag = false;
  std::string path;
  std::vector<std::string> items;  // [[item]] names, with their section names
  std::string sub;
  bool read_files = true;
};

Schema schema_for(Seen& seen) {
  Schema s;
  s.table("main",
          [&seen](Section& sec) {
            sec.require("name", seen.name);
            sec.get_int("count", seen.count, 1, 10);
            sec.get("flag", seen.flag);
            sec.get_path("path", seen.path);
            seen.read_files = sec.read_files();
            if (seen.name == "warn") sec.warning("name", "is only a warning");
          })
      .array("item",
             [&seen](Section& sec) {
               std::string n;
               if (sec.require("name", n)) seen.items.push_back(sec.name() + "=" + n);
             })
      .subtable("outer", "inner", [&seen](Section& sec) { sec.get("value", seen.sub); });
  return s;
}

TEST(ConfigSchema, EachSectionReachesItsParser) {
  Seen seen;
  auto r = parse(R"(
[main]
name = "x"
count = 3
flag = true
path = "rel/file"

[[item]]
name = "a"
[[item]]
name = "b"

[outer.inner]
value = "v"
)",
                 "/etc/pushgw/t.toml", schema_for(seen), /*read_files=*/false);
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->file, "/etc/pushgw/t.toml");
  EXPECT_TRUE(r->warnings.empty());
  EXPECT_EQ(seen.name, "x");
  EXPECT_EQ(seen.count, 3);
  EXPECT_TRUE(seen.flag);
  EXPECT_EQ(seen.path, "/etc/pushgw/rel/file");  // against the file's directory
  EXPECT_FALSE(seen.read_files);
  EXPECT_EQ(seen.items, (std::vector<std::string>{"item[0]=a", "item[1]=b"}));
  EXPECT_EQ(seen.sub, "v");
}

TEST(ConfigSchema, EveryProblemIsReportedInFileOrder) {
  Seen seen;
  auto r = parse(R"(stray = 1
[main]
count = 11
bogus = 2

[[item]]
name = ""
[[item]]
other = 1

[outer]
key = 1
[outer.inner]
value = 5
[outer.nope]
x = 1

[unknown]
y = 2
)",
                 "t.toml", schema_for(seen), false);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, "config_invalid");
  EXPECT_EQ(r.error().message,
            "t.toml:1: stray: unknown key\n"
            "t.toml:2: main.name: missing required key\n"
            "t.toml:3: main.count: must be between 1 and 10, got 11\n"
            "t.toml:4: main.bogus: unknown key\n"
            "t.toml:7: item[0].name: must not be empty\n"
            "t.toml:8: item[1].name: missing required key\n"
            "t.toml:9: item[1].other: unknown key\n"
            "t.toml:12: outer.key: unknown key\n"
            "t.toml:14: outer.inner.value: expected string, got integer\n"
            "t.toml:15: outer.nope: unknown section\n"
            "t.toml:18: unknown: unknown section");
}

TEST(ConfigSchema, SectionsOfTheWrongShapeAreNamed) {
  Seen seen;
  auto r = parse("main = 1\nitem = { name = \"a\" }\nouter = \"x\"\n", "t.toml", schema_for(seen), false);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().message,
            "t.toml:1: main: expected a table ([main]), got integer\n"
            "t.toml:2: item: expected an array of tables ([[item]]), got table\n"
            "t.toml:3: outer: expected a table ([outer.inner]), got string");
}

TEST(ConfigSchema, WarningsComeBackWithTheResult) {
  Seen seen;
  auto r = parse("[main]\nname = \"warn\"\n", "t.toml", schema_for(seen), false);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->warnings, std::vector<std::string>{"t.toml:2: main.name: is only a warning"});
}

TEST(ConfigSchema, SyntaxAndIoErrorsHaveTheirOwnCodes) {
  Seen seen;
  auto syntax = parse("[main\n", "t.toml", schema_for(seen), false);
  ASSERT_FALSE(syntax.ok());
  EXPECT_EQ(syntax.error().code, "config_syntax");
  EXPECT_EQ(syntax.error().message.rfind("t.toml:1: syntax error: ", 0), 0u) << syntax.error().message;
  auto io = load("/nonexistent/pushgw-schema-test.toml", schema_for(seen));
  ASSERT_FALSE(io.ok());
  EXPECT_EQ(io.error().code, "config_io");
}

}  // namespace
}  // namespace pushgw::config
