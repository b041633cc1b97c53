// Reading credential files named by the config: bounded reads, permission
// checks, a PEM sniff and the FCM service-account JSON. Never puts file
// contents into an error or warning. Used by the parsers of sections that
// name credential files.
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "config/section.h"
#include "pushgw/result.h"

namespace pushgw::config {

struct SecretFile {
  std::string contents;
  uint32_t mode = 0;  // permission bits of the file
};

// Errors name the path and the OS reason only. Code "config_io".
Result<SecretFile> read_secret_file(const std::string& path);

// True when text holds a "-----BEGIN ...-----" armour line. The key itself is
// parsed by the crypto module; this only catches pointing at the wrong file.
bool looks_like_pem(std::string_view text);

struct ServiceAccount {
  std::string project_id, client_email, private_key, token_uri;
};
// Google's service-account JSON. The message names missing or malformed
// fields, never their values. Code "bad_service_account".
Result<ServiceAccount> parse_service_account(std::string_view json);

// Reads the credential file in the (already resolved) path of key: an
// unreadable file is an error naming key and path; a group- or world-readable
// one adds a warning. nullopt after an error.
std::optional<std::string> load_credential(Section& r, std::string_view key, const std::string& path);

// Like load_credential, plus an error unless the contents look like PEM.
std::optional<std::string> load_pem_credential(Section& r, std::string_view key, const std::string& path);

// Overwrites a string holding key material before it is freed.
void wipe(std::string& s);

}  // namespace pushgw::config
