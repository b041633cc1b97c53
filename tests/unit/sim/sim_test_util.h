// Helpers shared by the simulator's unit tests.
#pragma once
#include <gtest/gtest.h>
#include <simdjson.h>

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "http_types.h"

namespace pushgw::sim::test {

inline SimRequest make_request(std::string_view method, std::string_view path,
                               std::vector<std::pair<std::string, std::string>> headers, std::string_view body) {
  SimRequest r;
  r.method = method;
  r.path = path;
  r.authority = "127.0.0.1:8443";
  for (auto& [n, v] : headers) r.headers.add(n, v);
  r.body = body;
  r.body_size = body.size();
  return r;
}

// Owns the parser so elements stay valid for the test's lifetime.
struct Json {
  simdjson::dom::parser parser;
  simdjson::dom::element root;
  bool ok = false;
  explicit Json(const std::string& text) {
    auto r = parser.parse(text);
    ok = !r.error();
    EXPECT_TRUE(ok) << "not JSON: " << text;
    if (ok) root = r.value();
  }
  std::string_view str(std::string_view pointer) const {
    std::string_view v;
    EXPECT_EQ(root.at_pointer(pointer).get(v), simdjson::SUCCESS) << pointer;
    return v;
  }
  int64_t num(std::string_view pointer) const {
    int64_t v = -1;
    EXPECT_EQ(root.at_pointer(pointer).get(v), simdjson::SUCCESS) << pointer;
    return v;
  }
  bool has(std::string_view pointer) const { return root.at_pointer(pointer).error() == simdjson::SUCCESS; }
};

}  // namespace pushgw::sim::test
