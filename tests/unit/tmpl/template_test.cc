#include <gtest/gtest.h>

#include <algorithm>
#include <random>
#include <string>
#include <vector>

#include "pushgw/template.h"

namespace pushgw {
namespace {

// Values for one recipient, built in a local arena: sparse, sorted by slot.
struct Vars {
  std::string arena;
  std::vector<VarValue> values;
  const VarTable& table;
  explicit Vars(const VarTable& t) : table(t) {}
  Vars& set(std::string_view name, std::string_view bytes, uint8_t kind = VarValue::String) {
    int32_t s = table.find(name);
    EXPECT_GE(s, 0) << name;
    if (s < 0) return *this;
    VarValue v{.kind = kind, .slot = static_cast<uint16_t>(s), .off = static_cast<uint32_t>(arena.size()),
               .len = static_cast<uint32_t>(bytes.size())};
    auto it = std::lower_bound(values.begin(), values.end(), v.slot,
                               [](const VarValue& x, uint16_t want) { return x.slot < want; });
    if (it != values.end() && it->slot == v.slot)
      *it = v;
    else
      values.insert(it, v);
    arena.append(bytes);
    return *this;
  }
  VarView view() const { return VarView{values.data(), static_cast<uint32_t>(values.size()), arena.data()}; }
};

std::string render(const Template& t, const VarView& v) {
  std::string out;
  t.render(v, out);
  EXPECT_EQ(out.size(), t.rendered_size(v));
  return out;
}

Template compile(std::string_view text, Template::Mode mode, VarTable& vt) {
  auto r = Template::compile(text, mode, vt);
  EXPECT_TRUE(r.ok());
  return std::move(r).value();
}

TEST(Template, NoPlaceholderIsVerbatim) {
  VarTable vt;
  auto t = compile(R"({"aps":{"alert":"hello {name} {{ x }}"}})", Template::Mode::Json, vt);
  EXPECT_FALSE(t.has_vars());
  EXPECT_EQ(vt.size(), 0u);
  EXPECT_EQ(render(t, VarView{}), R"({"aps":{"alert":"hello {name} {{ x }}"}})");
}

TEST(Template, StringVarIsEscaped) {
  VarTable vt;
  auto t = compile(R"({"t":"Hi {{name}}!"})", Template::Mode::Json, vt);
  ASSERT_TRUE(t.has_vars());
  Vars v(vt);
  v.set("name", "A\"i\\k\no\x02 \xe6\x84\x9b");
  EXPECT_EQ(render(t, v.view()), "{\"t\":\"Hi A\\\"i\\\\k\\no\\u0002 \xe6\x84\x9b!\"}");
}

TEST(Template, LiteralNumbersAndBools) {
  VarTable vt;
  auto t = compile(R"({"t":"{{n}} items, vip={{vip}}"})", Template::Mode::Json, vt);
  Vars v(vt);
  v.set("n", "42", VarValue::Literal).set("vip", "true", VarValue::Literal);
  EXPECT_EQ(render(t, v.view()), R"({"t":"42 items, vip=true"})");
}

TEST(Template, MissingIsEmptyAndFallbackUsed) {
  VarTable vt;
  auto t = compile(R"({"t":"Hi {{name}}|{{city|Tokyo \"X\"}}|{{e|}}"})", Template::Mode::Json, vt);
  EXPECT_EQ(vt.size(), 3u);
  EXPECT_EQ(render(t, VarView{}), R"({"t":"Hi |Tokyo \"X\"|"})");
  Vars v(vt);
  v.set("city", "Osaka");
  EXPECT_EQ(render(t, v.view()), R"({"t":"Hi |Osaka|"})");
  // Missing kind explicitly set behaves like absent.
  Vars m(vt);
  m.set("city", "ignored", VarValue::Missing);
  EXPECT_EQ(render(t, m.view()), R"({"t":"Hi |Tokyo \"X\"|"})");
}

TEST(Template, KeysAreNotSubstituted) {
  VarTable vt;
  auto t = compile(R"({"{{k}}":"{{v}}","a":["{{w}}",{"{{x}}" : 1}]})", Template::Mode::Json, vt);
  EXPECT_EQ(vt.find("k"), -1);
  EXPECT_EQ(vt.find("x"), -1);
  EXPECT_GE(vt.find("v"), 0);
  EXPECT_GE(vt.find("w"), 0);
  Vars v(vt);
  v.set("v", "V").set("w", "W");
  EXPECT_EQ(render(t, v.view()), R"({"{{k}}":"V","a":["W",{"{{x}}" : 1}]})");
}

TEST(Template, EscapedQuotesDoNotEndTheString) {
  VarTable vt;
  auto t = compile(R"({"a":"say \"{{x}}\"","b\\":"{{y}}"})", Template::Mode::Json, vt);
  Vars v(vt);
  v.set("x", "X").set("y", "Y");
  EXPECT_EQ(render(t, v.view()), R"({"a":"say \"X\"","b\\":"Y"})");
}

TEST(Template, SinglePass) {
  VarTable vt;
  auto t = compile(R"({"t":"{{a}}{{b}}"})", Template::Mode::Json, vt);
  Vars v(vt);
  v.set("a", "{{b}}").set("b", "{{a}}");
  EXPECT_EQ(render(t, v.view()), R"({"t":"{{b}}{{a}}"})");
}

TEST(Template, LenientOnMalformedPlaceholders) {
  VarTable vt;
  const char* text = R"({"t":"{{ {{}} {{a b}} {{x|no close {{"})";
  auto t = compile(text, Template::Mode::Json, vt);
  EXPECT_FALSE(t.has_vars());
  EXPECT_EQ(render(t, VarView{}), text);
  // Unterminated string: the tail is literal, nothing breaks.
  VarTable vt2;
  auto u = compile(R"({"t":"{{x}}","u":"{{y)", Template::Mode::Json, vt2);
  EXPECT_EQ(vt2.size(), 1u);
  EXPECT_EQ(render(u, VarView{}), R"({"t":"","u":"{{y)");
}

TEST(Template, TripleBraceKeepsOuterBraces) {
  VarTable vt;
  auto t = compile(R"({"t":"{{{n}}}"})", Template::Mode::Json, vt);
  Vars v(vt);
  v.set("n", "1");
  EXPECT_EQ(render(t, v.view()), R"({"t":"{1}"})");
}

TEST(Template, RawModeInsertsBytesAsIs) {
  VarTable vt;
  auto t = compile("Hello {{name}}, \"{{q|none}}\"\n{{n}}", Template::Mode::Raw, vt);
  Vars v(vt);
  v.set("name", "A\"\\\n").set("n", "7", VarValue::Literal);
  EXPECT_EQ(render(t, v.view()), "Hello A\"\\\n, \"none\"\n7");
}

TEST(Template, SharedVarTableSlots) {
  VarTable vt;
  auto a = compile(R"({"t":"{{x}}{{y}}"})", Template::Mode::Json, vt);
  auto b = compile("{{y}}{{z}}", Template::Mode::Raw, vt);
  EXPECT_EQ(vt.size(), 3u);
  EXPECT_EQ(vt.find("y"), 1);
  Vars v(vt);
  v.set("y", "Y").set("z", "Z");
  EXPECT_EQ(render(b, v.view()), "YZ");
  EXPECT_EQ(render(a, v.view()), R"({"t":"Y"})");
}

TEST(Template, RenderAppendsToExistingOutput) {
  VarTable vt;
  auto t = compile(R"({"t":"{{x}}"})", Template::Mode::Json, vt);
  Vars v(vt);
  v.set("x", "1");
  std::string out = "{\"message\":";
  t.render(v.view(), out);
  out.push_back('}');
  EXPECT_EQ(out, R"({"message":{"t":"1"}})");
}

TEST(Template, ViewWithFewerSlotsTreatsRestAsMissing) {
  VarTable vt;
  auto t = compile(R"({"t":"{{a}}-{{b|B}}"})", Template::Mode::Json, vt);
  VarValue one{.kind = VarValue::String, .slot = 0, .off = 0, .len = 1};
  VarView v{&one, 1, "A"};
  EXPECT_EQ(render(t, v), R"({"t":"A-B"})");
}

// rendered_size must equal what render appends, for any text and values.
TEST(Template, RenderedSizeMatchesRenderRandomized) {
  std::mt19937 rng(12345);
  const std::string alphabet = "ab{}|\"\\:,[] \n\x01\xc3\xa9xyz";
  auto rand_text = [&](size_t max) {
    std::string s;
    size_t n = rng() % max;
    for (size_t i = 0; i < n; ++i) {
      switch (rng() % 8) {
        case 0: s += "{{x}}"; break;
        case 1: s += "{{y|f\\\"b}}"; break;
        case 2: s += "{{z."; break;
        default: s += alphabet[rng() % alphabet.size()];
      }
    }
    return s;
  };
  for (int iter = 0; iter < 3000; ++iter) {
    VarTable vt;
    auto mode = (iter & 1) ? Template::Mode::Raw : Template::Mode::Json;
    std::string text = (iter % 3 == 0) ? "{\"k\":\"" + rand_text(40) + "\"}" : rand_text(60);
    auto t = compile(text, mode, vt);
    Vars v(vt);
    for (uint32_t s = 0; s < vt.size(); ++s) {
      if (rng() % 4 == 0) continue;  // missing
      uint8_t kind = (rng() % 3 == 0) ? VarValue::Literal : VarValue::String;
      v.set(vt.name(s), rand_text(20), kind);
    }
    std::string out = "prefix";
    size_t want = t.rendered_size(v.view());
    t.render(v.view(), out);
    ASSERT_EQ(out.size() - 6, want) << text;
    // Any limit: the exact size when it fits, else a lower bound above it.
    const size_t limit = rng() % (want + 2);
    const size_t bounded = t.rendered_size(v.view(), limit);
    if (want <= limit) {
      ASSERT_EQ(bounded, want) << text;
    } else {
      ASSERT_GT(bounded, limit) << text;
      ASSERT_LE(bounded, want) << text;
    }
    if (!t.has_vars()) {
      ASSERT_EQ(out.substr(6), text);
    }
  }
}


// ---- bounds (issue 15: hostile requests) ----

std::string placeholders(uint32_t n, const char* prefix = "v") {
  std::string s;
  for (uint32_t i = 0; i < n; ++i) s += "{{" + std::string(prefix) + std::to_string(i) + "}}";
  return s;
}

TEST(TemplateBounds, PlaceholderCapIsEnforcedAtCompile) {
  VarTable ok_vt;
  auto at_cap = Template::compile("{\"t\":\"" + placeholders(kMaxPlaceholders) + "\"}", Template::Mode::Json, ok_vt);
  ASSERT_TRUE(at_cap.ok());
  EXPECT_EQ(ok_vt.size(), kMaxPlaceholders);
  // One use more, even of a known name, is refused.
  VarTable vt;
  auto over = Template::compile(placeholders(kMaxPlaceholders) + "{{v0}}", Template::Mode::Raw, vt);
  ASSERT_FALSE(over.ok());
  EXPECT_EQ(over.error().code, "too_many_placeholders");
  // A million uses stop at the cap instead of building a million segments.
  std::string bomb;
  for (int i = 0; i < 1'000'000; ++i) bomb += "{{a}}";
  VarTable vt2;
  auto big = Template::compile(bomb, Template::Mode::Raw, vt2);
  ASSERT_FALSE(big.ok());
  EXPECT_EQ(big.error().code, "too_many_placeholders");
  EXPECT_EQ(vt2.size(), 1u);
}

TEST(TemplateBounds, DistinctNamesCappedAcrossTemplatesOfATable) {
  VarTable vt;
  ASSERT_TRUE(Template::compile(placeholders(kMaxVarNames, "a"), Template::Mode::Raw, vt).ok());
  EXPECT_EQ(vt.slot("b0"), -1);
  EXPECT_EQ(vt.size(), kMaxVarNames);
  EXPECT_EQ(vt.slot("a7"), 7);  // known names still resolve
  auto more = Template::compile("{{b0}}", Template::Mode::Raw, vt);
  ASSERT_FALSE(more.ok());
  EXPECT_EQ(more.error().code, "too_many_placeholders");
}

TEST(TemplateBounds, VarTableIndexFindsEveryNameAtAnySize) {
  VarTable vt;
  for (uint32_t i = 0; i < 3000; ++i) ASSERT_EQ(vt.slot("n" + std::to_string(i)), static_cast<int32_t>(i));
  for (uint32_t i = 0; i < 3000; ++i) ASSERT_EQ(vt.find("n" + std::to_string(i)), static_cast<int32_t>(i));
  EXPECT_EQ(vt.find("n3000"), -1);
  EXPECT_EQ(vt.find(""), -1);
  VarTable copy = vt;  // the index is a value too
  EXPECT_EQ(copy.find("n2999"), 2999);
  EXPECT_EQ(copy.slot("extra"), 3000);
  EXPECT_EQ(vt.find("extra"), -1);
}

TEST(TemplateBounds, RenderedSizeIsUsesTimesValueSizeWithEarlyStop) {
  VarTable vt;
  std::string text = "{\"t\":\"" ;
  for (uint32_t i = 0; i < kMaxPlaceholders; ++i) text += "{{a}}";
  text += "\"}";
  auto t = compile(text, Template::Mode::Json, vt);
  Vars v(vt);
  std::string big(1 << 20, '"');  // escapes to 2 bytes each
  v.set("a", big);
  // Exact without a limit: literal bytes + uses x escaped size.
  EXPECT_EQ(t.rendered_size(v.view()), 8 + size_t{kMaxPlaceholders} * 2 * big.size());
  // With a provider limit it stops before reading the value at all: 4096
  // uses x its raw length already pass the limit (escaping never shrinks).
  // The bytes here are unreadable on purpose.
  VarValue huge{.kind = VarValue::String, .slot = 0, .off = 0, .len = 1u << 30};
  EXPECT_GT(t.rendered_size(VarView{&huge, 1, nullptr}, 4096), 4096u);
  // Under the limit the answer is exact.
  Vars small(vt);
  small.set("a", "\"");
  EXPECT_EQ(t.rendered_size(small.view(), 1 << 20), 8 + size_t{kMaxPlaceholders} * 2);
  EXPECT_EQ(t.rendered_size(small.view(), 8 + size_t{kMaxPlaceholders} * 2), 8 + size_t{kMaxPlaceholders} * 2);
  EXPECT_GT(t.rendered_size(small.view(), 8 + size_t{kMaxPlaceholders} * 2 - 1), 8 + size_t{kMaxPlaceholders} * 2 - 1);
}

TEST(TemplateBounds, RecipientWithoutVarsRendersTheMissingTextAtOnce) {
  VarTable vt;
  std::string text = "{\"t\":\"x";
  for (uint32_t i = 0; i < kMaxPlaceholders; ++i) text += "{{v" + std::to_string(i % 7) + "|-}}";
  text += "\"}";
  auto t = compile(text, Template::Mode::Json, vt);
  const std::string want = "{\"t\":\"x" + std::string(kMaxPlaceholders, '-') + "\"}";
  EXPECT_EQ(render(t, VarView{}), want);
  EXPECT_EQ(t.rendered_size(VarView{}), want.size());
  // Giving one var replaces exactly its uses' fallbacks.
  Vars v(vt);
  v.set("v3", "");
  EXPECT_EQ(render(t, v.view()).size(), want.size() - (kMaxPlaceholders / 7 + (3 < kMaxPlaceholders % 7)));
}

TEST(TemplateBounds, SparseViewLooksUpAnySubsetOfSlots) {
  VarTable vt;
  std::string text;
  for (uint32_t i = 0; i < 200; ++i) text += "<{{s" + std::to_string(i) + "}}>";
  auto t = compile(text, Template::Mode::Raw, vt);
  std::mt19937 rng(7);
  for (int iter = 0; iter < 200; ++iter) {
    Vars v(vt);
    std::string want;
    for (uint32_t i = 0; i < 200; ++i) {
      const bool given = rng() % 3 == 0;
      if (given) v.set("s" + std::to_string(i), std::to_string(i));
      want += "<" + (given ? std::to_string(i) : std::string()) + ">";
    }
    ASSERT_EQ(render(t, v.view()), want);
  }
}

}  // namespace
}  // namespace pushgw
