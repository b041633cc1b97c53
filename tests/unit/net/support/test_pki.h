// Test PKI generated at test start with OpenSSL: a CA, leaf certificates for
// chosen names, and a temp directory for the PEM files (removed at the end).
#pragma once
#include <string>
#include <vector>

namespace pushgw::testing {

struct KeyCert {
  std::string key_pem;
  std::string cert_pem;
};

class TestPki {
 public:
  TestPki();   // creates the temp dir, a trusted CA and an untrusted ("other") CA
  ~TestPki();  // removes the temp dir
  TestPki(const TestPki&) = delete;
  TestPki& operator=(const TestPki&) = delete;

  const std::string& dir() const { return dir_; }
  const std::string& ca_file() const { return ca_file_; }  // PEM of the trusted CA

  // A leaf with these SANs, signed by the trusted CA (or the other CA).
  KeyCert issue(const std::vector<std::string>& dns, const std::vector<std::string>& ips, bool untrusted = false);
  // Writes content to dir()/name and returns the path.
  std::string write_file(const std::string& name, const std::string& content) const;

 private:
  struct Ca;
  std::string dir_, ca_file_;
  Ca* ca_;
  Ca* other_;
};

}  // namespace pushgw::testing
