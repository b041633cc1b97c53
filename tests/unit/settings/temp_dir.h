// A scratch directory for config tests: files with chosen modes, removed at the end.
#pragma once
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <string_view>

namespace pushgw::settings::testing {

class TempDir {
 public:
  TempDir() {
    std::string tmpl = (std::filesystem::temp_directory_path() / "pushgw-config-XXXXXX").string();
    if (!mkdtemp(tmpl.data())) std::abort();
    path_ = tmpl;
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::string& path() const { return path_; }

  // Writes rel (creating parent directories) with the given mode; returns the absolute path.
  std::string write(const std::string& rel, std::string_view text, mode_t mode = 0600) const {
    const std::filesystem::path p = std::filesystem::path(path_) / rel;
    std::filesystem::create_directories(p.parent_path());
    {
      std::ofstream f(p, std::ios::binary | std::ios::trunc);
      f.write(text.data(), static_cast<std::streamsize>(text.size()));
    }
    chmod(p.c_str(), mode);
    return p.string();
  }

 private:
  std::string path_;
};

// 1-based line of the first line containing needle in text (0 if none).
inline int line_containing(std::string_view text, std::string_view needle) {
  int line = 1;
  size_t start = 0;
  while (start <= text.size()) {
    size_t end = text.find('\n', start);
    if (end == std::string_view::npos) end = text.size();
    if (text.substr(start, end - start).find(needle) != std::string_view::npos) return line;
    start = end + 1;
    ++line;
  }
  return 0;
}

inline constexpr std::string_view kFakePem =
    "-----BEGIN PRIVATE KEY-----\nMIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQg\n-----END PRIVATE KEY-----\n";

inline std::string service_account_json(std::string_view omit = "") {
  std::string j = "{\n  \"type\": \"service_account\"";
  auto add = [&](std::string_view k, std::string_view v) {
    if (k == omit) return;
    j += ",\n  \"";
    j += k;
    j += "\": \"";
    j += v;
    j += "\"";
  };
  add("project_id", "demo-project");
  add("client_email", "pushgw@demo-project.iam.gserviceaccount.com");
  add("private_key", "-----BEGIN PRIVATE KEY-----\\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASC\\n-----END PRIVATE KEY-----\\n");
  add("token_uri", "https://oauth2.googleapis.com/token");
  j += "\n}\n";
  return j;
}

}  // namespace pushgw::settings::testing
