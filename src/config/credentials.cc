#include "config/credentials.h"

#include <fcntl.h>
#include <simdjson.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

namespace pushgw::config {
namespace {

// Keys and service-account files are a few KiB; anything bigger is the wrong file.
constexpr size_t kMaxCredentialBytes = 1 << 20;

struct Fd {
  int fd = -1;
  ~Fd() {
    if (fd >= 0) close(fd);
  }
};

Error io_error(const std::string& path, int err) {
  return make_error("config_io", "cannot read " + path + ": " + std::strerror(err));
}

std::string mode_text(uint32_t mode) {
  char buf[8];
  std::snprintf(buf, sizeof buf, "%04o", static_cast<unsigned>(mode & 07777));
  return buf;
}

bool valid_project_id(std::string_view s) {
  // Goes into the FCM URL path; domain-scoped ids look like "example.com:proj".
  if (s.empty() || s.size() > 100) return false;
  for (char c : s) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
                    c == '.' || c == ':' || c == '_';
    if (!ok) return false;
  }
  return true;
}

}  // namespace

void wipe(std::string& s) {
  if (!s.empty()) explicit_bzero(s.data(), s.size());
  s.clear();
}

Result<SecretFile> read_secret_file(const std::string& path) {
  Fd f{open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY)};
  if (f.fd < 0) return io_error(path, errno);
  struct stat st {};
  if (fstat(f.fd, &st) != 0) return io_error(path, errno);
  if (!S_ISREG(st.st_mode)) return make_error("config_io", "cannot read " + path + ": not a regular file");
  if (static_cast<uint64_t>(st.st_size) > kMaxCredentialBytes) {
    return make_error("config_io", path + " is larger than 1 MiB; not a credential file");
  }
  SecretFile out;
  out.mode = static_cast<uint32_t>(st.st_mode & 07777);
  out.contents.resize(static_cast<size_t>(st.st_size));
  size_t got = 0;
  while (got < out.contents.size()) {
    const ssize_t n = read(f.fd, out.contents.data() + got, out.contents.size() - got);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      const int err = errno;
      wipe(out.contents);
      return io_error(path, err);
    }
    if (n == 0) break;  // shrank while we read: take what is there
    got += static_cast<size_t>(n);
  }
  out.contents.resize(got);
  return out;
}

bool looks_like_pem(std::string_view text) {
  const auto begin = text.find("-----BEGIN ");
  return begin != std::string_view::npos && text.find("-----END ", begin) != std::string_view::npos;
}

Result<ServiceAccount> parse_service_account(std::string_view json) {
  simdjson::padded_string padded(json);
  simdjson::dom::parser parser;
  simdjson::dom::element doc;
  if (auto err = parser.parse(padded).get(doc)) {
    return make_error("bad_service_account", std::string("not valid JSON (") + simdjson::error_message(err) + ")");
  }
  simdjson::dom::object obj;
  if (doc.get_object().get(obj)) return make_error("bad_service_account", "not a JSON object");

  ServiceAccount sa;
  std::string problems;
  auto field = [&](const char* name, std::string& out) {
    std::string_view v;
    const auto err = obj.at_key(name).get_string().get(v);
    if (err == simdjson::NO_SUCH_FIELD || (!err && v.empty())) {
      problems += std::string(problems.empty() ? "" : "; ") + "missing \"" + name + "\"";
    } else if (err) {
      problems += std::string(problems.empty() ? "" : "; ") + "\"" + name + "\" must be a string";
    } else {
      out.assign(v);
    }
  };
  field("project_id", sa.project_id);
  field("client_email", sa.client_email);
  field("private_key", sa.private_key);
  field("token_uri", sa.token_uri);
  if (!sa.project_id.empty() && !valid_project_id(sa.project_id)) problems += "; \"project_id\" is malformed";
  if (!sa.private_key.empty() && !looks_like_pem(sa.private_key)) problems += "; \"private_key\" is not PEM";
  if (!sa.token_uri.empty() && sa.token_uri.rfind("https://", 0) != 0) problems += "; \"token_uri\" must be https";
  if (!problems.empty()) {
    wipe(sa.private_key);
    if (problems.rfind("; ", 0) == 0) problems.erase(0, 2);
    return make_error("bad_service_account", problems);
  }
  return sa;
}

std::optional<std::string> load_credential(Section& r, std::string_view key, const std::string& path) {
  auto file = read_secret_file(path);
  if (!file.ok()) {
    r.error(key, file.error().message);
    return std::nullopt;
  }
  if (file->mode & (S_IRGRP | S_IROTH)) {
    r.warning(key, path + " is group- or world-readable (mode " + mode_text(file->mode) +
                       "); make it readable by the pushgw user only (chmod 0600)");
  }
  return std::move(file->contents);
}

std::optional<std::string> load_pem_credential(Section& r, std::string_view key, const std::string& path) {
  auto text = load_credential(r, key, path);
  if (text && !looks_like_pem(*text)) {
    r.error(key, path + " does not look like a PEM file (no \"-----BEGIN\" line)");
    wipe(*text);
    return std::nullopt;
  }
  return text;
}

}  // namespace pushgw::config
