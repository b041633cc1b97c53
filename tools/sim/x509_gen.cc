#include "x509_gen.h"

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <memory>

namespace pushgw::sim {

namespace {

struct X509Free {
  void operator()(X509* x) const { X509_free(x); }
};
using X509Ptr = std::unique_ptr<X509, X509Free>;
struct BioFree {
  void operator()(BIO* b) const { BIO_free_all(b); }
};
using BioPtr = std::unique_ptr<BIO, BioFree>;
struct BnFree {
  void operator()(BIGNUM* b) const { BN_free(b); }
};

Error cert_error(const char* step) {
  ERR_clear_error();
  return make_error("cert_failed", std::string("certificate generation failed at ") + step);
}

bool add_ext(X509* cert, X509* issuer, int nid, const char* value) {
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, issuer, cert, nullptr, nullptr, 0);
  X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &ctx, nid, value);
  if (!ext) return false;
  bool ok = X509_add_ext(cert, ext, -1) == 1;
  X509_EXTENSION_free(ext);
  return ok;
}

bool set_random_serial(X509* cert) {
  unsigned char bytes[16];
  if (RAND_bytes(bytes, sizeof bytes) != 1) return false;
  bytes[0] &= 0x7f;  // positive
  std::unique_ptr<BIGNUM, BnFree> bn(BN_bin2bn(bytes, sizeof bytes, nullptr));
  return bn && BN_to_ASN1_INTEGER(bn.get(), X509_get_serialNumber(cert)) != nullptr;
}

Result<std::string> to_pem(X509* cert) {
  BioPtr bio(BIO_new(BIO_s_mem()));
  if (!bio || PEM_write_bio_X509(bio.get(), cert) != 1) return cert_error("PEM_write_bio_X509");
  char* data = nullptr;
  long len = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, static_cast<size_t>(len));
}

enum class Kind { kCa, kServer };

// issuer == nullptr: self-signed with subject_key.
Result<std::string> build(EVP_PKEY* subject_key, std::string_view cn, Kind kind, X509* issuer,
                          EVP_PKEY* issuer_key, int days) {
  X509Ptr cert(X509_new());
  if (!cert || X509_set_version(cert.get(), X509_VERSION_3) != 1 || !set_random_serial(cert.get()))
    return cert_error("X509_new");
  // Backdate an hour so a client with a slightly late clock accepts it.
  if (!X509_gmtime_adj(X509_getm_notBefore(cert.get()), -3600) ||
      !X509_gmtime_adj(X509_getm_notAfter(cert.get()), static_cast<long>(days) * 86400))
    return cert_error("validity");
  X509_NAME* name = X509_get_subject_name(cert.get());
  if (X509_NAME_add_entry_by_txt(name, "O", MBSTRING_ASC, reinterpret_cast<const unsigned char*>("pushgw-sim"),
                                 -1, -1, 0) != 1 ||
      X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, reinterpret_cast<const unsigned char*>(cn.data()),
                                 static_cast<int>(cn.size()), -1, 0) != 1)
    return cert_error("subject");
  X509* signer = issuer ? issuer : cert.get();
  if (X509_set_issuer_name(cert.get(), X509_get_subject_name(signer)) != 1 ||
      X509_set_pubkey(cert.get(), subject_key) != 1)
    return cert_error("issuer/pubkey");
  bool ok = add_ext(cert.get(), signer, NID_subject_key_identifier, "hash");
  if (issuer) ok = ok && add_ext(cert.get(), signer, NID_authority_key_identifier, "keyid:always");
  if (kind == Kind::kCa) {
    ok = ok && add_ext(cert.get(), signer, NID_basic_constraints, "critical,CA:TRUE") &&
         add_ext(cert.get(), signer, NID_key_usage, "critical,keyCertSign,cRLSign");
  } else {
    ok = ok && add_ext(cert.get(), signer, NID_basic_constraints, "critical,CA:FALSE") &&
         add_ext(cert.get(), signer, NID_key_usage, "critical,digitalSignature,keyEncipherment") &&
         add_ext(cert.get(), signer, NID_ext_key_usage, "serverAuth") &&
         add_ext(cert.get(), signer, NID_subject_alt_name, "IP:127.0.0.1,DNS:localhost,DNS:*.pushgw.test");
  }
  if (!ok) return cert_error("extensions");
  if (X509_sign(cert.get(), issuer ? issuer_key : subject_key, EVP_sha256()) <= 0) return cert_error("X509_sign");
  return to_pem(cert.get());
}

}  // namespace

Result<std::string> make_ca_cert(EVP_PKEY* ca_key, std::string_view common_name, int days) {
  return build(ca_key, common_name, Kind::kCa, nullptr, nullptr, days);
}

Result<std::string> make_server_cert(EVP_PKEY* server_key, std::string_view ca_cert_pem, EVP_PKEY* ca_key,
                                     int days) {
  BioPtr bio(BIO_new_mem_buf(ca_cert_pem.data(), static_cast<int>(ca_cert_pem.size())));
  X509Ptr ca(bio ? PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr) : nullptr);
  if (!ca) return cert_error("reading the CA certificate");
  return build(server_key, "localhost", Kind::kServer, ca.get(), ca_key, days);
}

Result<std::string> make_self_signed_server_cert(EVP_PKEY* key, int days) {
  return build(key, "localhost", Kind::kServer, nullptr, nullptr, days);
}

}  // namespace pushgw::sim
