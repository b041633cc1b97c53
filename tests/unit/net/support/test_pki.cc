#include "test_pki.h"

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <stdexcept>

namespace pushgw::testing {
namespace {

EVP_PKEY* new_key() { return EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256"); }

std::string key_pem(EVP_PKEY* k) {
  BIO* b = BIO_new(BIO_s_mem());
  PEM_write_bio_PrivateKey(b, k, nullptr, nullptr, 0, nullptr, nullptr);
  char* p = nullptr;
  long n = BIO_get_mem_data(b, &p);
  std::string out(p, static_cast<size_t>(n));
  BIO_free(b);
  return out;
}

std::string cert_pem(X509* c) {
  BIO* b = BIO_new(BIO_s_mem());
  PEM_write_bio_X509(b, c);
  char* p = nullptr;
  long n = BIO_get_mem_data(b, &p);
  std::string out(p, static_cast<size_t>(n));
  BIO_free(b);
  return out;
}

void add_ext(X509* cert, X509* issuer, int nid, const std::string& value) {
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, issuer, cert, nullptr, nullptr, 0);
  X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &ctx, nid, value.c_str());
  if (ext == nullptr) throw std::runtime_error("X509V3_EXT_conf_nid failed for " + value);
  X509_add_ext(cert, ext, -1);
  X509_EXTENSION_free(ext);
}

X509* make_cert(EVP_PKEY* key, const std::string& cn, X509* issuer, long serial) {
  X509* c = X509_new();
  X509_set_version(c, 2);
  ASN1_INTEGER_set(X509_get_serialNumber(c), serial);
  X509_gmtime_adj(X509_getm_notBefore(c), -3600);
  X509_gmtime_adj(X509_getm_notAfter(c), 86400);
  X509_set_pubkey(c, key);
  X509_NAME* name = X509_get_subject_name(c);
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, reinterpret_cast<const unsigned char*>(cn.c_str()), -1, -1, 0);
  X509_set_issuer_name(c, issuer != nullptr ? X509_get_subject_name(issuer) : name);
  return c;
}

}  // namespace

struct TestPki::Ca {
  EVP_PKEY* key = nullptr;
  X509* cert = nullptr;
  long next_serial = 2;
  ~Ca() {
    X509_free(cert);
    EVP_PKEY_free(key);
  }
};

TestPki::TestPki() : ca_(new Ca()), other_(new Ca()) {
  char tmpl[] = "/tmp/pushgw-pki-XXXXXX";
  if (mkdtemp(tmpl) == nullptr) throw std::runtime_error("mkdtemp failed");
  dir_ = tmpl;
  for (Ca* ca : {ca_, other_}) {
    ca->key = new_key();
    ca->cert = make_cert(ca->key, ca == ca_ ? "pushgw test CA" : "untrusted test CA", nullptr, 1);
    add_ext(ca->cert, ca->cert, NID_basic_constraints, "critical,CA:TRUE");
    add_ext(ca->cert, ca->cert, NID_key_usage, "critical,keyCertSign,cRLSign");
    add_ext(ca->cert, ca->cert, NID_subject_key_identifier, "hash");
    X509_sign(ca->cert, ca->key, EVP_sha256());
  }
  ca_file_ = write_file("ca.pem", cert_pem(ca_->cert));
}

TestPki::~TestPki() {
  delete ca_;
  delete other_;
  std::error_code ec;
  std::filesystem::remove_all(dir_, ec);
}

KeyCert TestPki::issue(const std::vector<std::string>& dns, const std::vector<std::string>& ips, bool untrusted) {
  Ca* ca = untrusted ? other_ : ca_;
  EVP_PKEY* key = new_key();
  std::string cn = !dns.empty() ? dns[0] : !ips.empty() ? ips[0] : "leaf";
  X509* c = make_cert(key, cn, ca->cert, ca->next_serial++);
  std::string san;
  for (const auto& d : dns) san += (san.empty() ? "DNS:" : ",DNS:") + d;
  for (const auto& i : ips) san += (san.empty() ? "IP:" : ",IP:") + i;
  add_ext(c, ca->cert, NID_basic_constraints, "critical,CA:FALSE");
  add_ext(c, ca->cert, NID_key_usage, "critical,digitalSignature");
  add_ext(c, ca->cert, NID_ext_key_usage, "serverAuth");
  if (!san.empty()) add_ext(c, ca->cert, NID_subject_alt_name, san);
  add_ext(c, ca->cert, NID_authority_key_identifier, "keyid:always");
  X509_sign(c, ca->key, EVP_sha256());
  KeyCert kc{key_pem(key), cert_pem(c)};
  X509_free(c);
  EVP_PKEY_free(key);
  return kc;
}

std::string TestPki::write_file(const std::string& name, const std::string& content) const {
  std::string path = dir_ + "/" + name;
  std::ofstream f(path, std::ios::binary | std::ios::trunc);
  f << content;
  return path;
}

}  // namespace pushgw::testing
