// Request/response values passed between the HTTP/2 layer and the provider
// handlers. Objects are reused per stream slot: clear() keeps capacity, so a
// warm connection does not allocate per request.
#pragma once
#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace pushgw::sim {

struct SimHeader {
  std::string name;  // lowercase (HTTP/2 guarantees it)
  std::string value;
};

class HeaderList {
 public:
  void clear() { n_ = 0; }
  void add(std::string_view name, std::string_view value) {
    if (n_ == v_.size()) v_.emplace_back();
    v_[n_].name.assign(name);
    v_[n_].value.assign(value);
    ++n_;
  }
  // First value of a header, or an empty view when absent.
  std::string_view get(std::string_view name) const {
    for (size_t i = 0; i < n_; ++i)
      if (v_[i].name == name) return v_[i].value;
    return {};
  }
  bool has(std::string_view name) const { return count(name) > 0; }
  size_t count(std::string_view name) const {
    size_t c = 0;
    for (size_t i = 0; i < n_; ++i) c += v_[i].name == name;
    return c;
  }
  size_t size() const { return n_; }
  const SimHeader& operator[](size_t i) const { return v_[i]; }

 private:
  std::vector<SimHeader> v_;
  size_t n_ = 0;
};

struct SimRequest {
  std::string method;
  std::string path;
  std::string authority;
  HeaderList headers;
  std::string body;           // at most kMaxStoredBody bytes
  size_t body_size = 0;       // bytes received, even past the stored cap
  static constexpr size_t kMaxStoredBody = 1 << 20;

  void clear() {
    method.clear();
    path.clear();
    authority.clear();
    headers.clear();
    body.clear();
    body_size = 0;
  }
};

struct SimResponse {
  int status = 0;
  HeaderList headers;
  std::string body;

  void clear() {
    status = 0;
    headers.clear();
    body.clear();
  }
};

// What the connection does with a handled request.
enum class Disposition {
  kNow,    // send the response right away
  kDelay,  // send it after --slow-ms
  kNever,  // never answer (stall)
};

}  // namespace pushgw::sim
