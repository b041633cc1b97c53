#include "crypto/json_text.h"

#include <cstdint>

namespace pushgw::crypto {

namespace {

// A cursor over untrusted text; every method fails closed (returns false).
class Scanner {
 public:
  explicit Scanner(std::string_view s) : s_(s) {}

  void ws() {
    while (i_ < s_.size() && (s_[i_] == ' ' || s_[i_] == '\t' || s_[i_] == '\n' || s_[i_] == '\r'))
      ++i_;
  }
  bool eat(char c) {
    ws();
    if (i_ < s_.size() && s_[i_] == c) {
      ++i_;
      return true;
    }
    return false;
  }
  bool peek(char c) {
    ws();
    return i_ < s_.size() && s_[i_] == c;
  }
  bool at_end() {
    ws();
    return i_ == s_.size();
  }

  // Reads a string literal, decoding the simple escapes; \u escapes are
  // accepted for skipping but make the decoded value unusable (flag).
  bool string(std::string& out, bool& exotic) {
    out.clear();
    exotic = false;
    if (!eat('"')) return false;
    while (i_ < s_.size()) {
      char c = s_[i_++];
      if (c == '"') return true;
      if (static_cast<unsigned char>(c) < 0x20) return false;
      if (c != '\\') {
        out.push_back(c);
        continue;
      }
      if (i_ >= s_.size()) return false;
      char e = s_[i_++];
      switch (e) {
        case '"':
        case '\\':
        case '/':
          out.push_back(e);
          break;
        case 'b':
          out.push_back('\b');
          break;
        case 'f':
          out.push_back('\f');
          break;
        case 'n':
          out.push_back('\n');
          break;
        case 'r':
          out.push_back('\r');
          break;
        case 't':
          out.push_back('\t');
          break;
        case 'u':
          if (i_ + 4 > s_.size()) return false;
          i_ += 4;
          exotic = true;
          break;
        default:
          return false;
      }
    }
    return false;
  }

  // Skips any JSON value; depth-limited so hostile nesting cannot recurse deep.
  bool skip_value(int depth = 0) {
    if (depth > 64) return false;
    ws();
    if (i_ >= s_.size()) return false;
    char c = s_[i_];
    std::string tmp;
    bool exotic = false;
    if (c == '"') return string(tmp, exotic);
    if (c == '{') return skip_container('}', depth, true);
    if (c == '[') return skip_container(']', depth, false);
    size_t start = i_;
    while (i_ < s_.size() && s_[i_] != ',' && s_[i_] != '}' && s_[i_] != ']' && s_[i_] != ' ' &&
           s_[i_] != '\n' && s_[i_] != '\r' && s_[i_] != '\t')
      ++i_;
    return i_ > start;
  }

 private:
  bool skip_container(char close, int depth, bool object) {
    ++i_;
    if (eat(close)) return true;
    for (;;) {
      if (object) {
        std::string key;
        bool exotic = false;
        if (!string(key, exotic) || !eat(':')) return false;
      }
      if (!skip_value(depth + 1)) return false;
      if (eat(close)) return true;
      if (!eat(',')) return false;
    }
  }

  std::string_view s_;
  size_t i_ = 0;
};

}  // namespace

std::optional<std::string> json_top_level_string(std::string_view json, std::string_view name) {
  Scanner sc(json);
  if (!sc.eat('{')) return std::nullopt;
  std::optional<std::string> found;
  bool duplicate = false;
  if (!sc.eat('}')) {
    for (;;) {
      std::string key;
      bool key_exotic = false;
      // A \u-escaped member name could spell `name` in a way other parsers
      // read differently; JOSE headers never need one, so refuse them.
      if (!sc.string(key, key_exotic) || key_exotic || !sc.eat(':')) return std::nullopt;
      if (key == name) {
        if (found) duplicate = true;
        std::string value;
        bool exotic = false;
        if (!sc.peek('"') || !sc.string(value, exotic) || exotic) return std::nullopt;
        found = std::move(value);
      } else if (!sc.skip_value()) {
        return std::nullopt;
      }
      if (sc.eat('}')) break;
      if (!sc.eat(',')) return std::nullopt;
    }
  }
  if (!sc.at_end() || duplicate) return std::nullopt;
  return found;
}

}  // namespace pushgw::crypto
