#include "crypto_floor.h"

#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <time.h>

#include <algorithm>
#include <cstring>
#include <memory>
#include <vector>

namespace pushgw::bench {
namespace {

struct CtxFree {
  void operator()(EVP_PKEY_CTX* c) const { EVP_PKEY_CTX_free(c); }
};
struct KeyFree {
  void operator()(EVP_PKEY* k) const { EVP_PKEY_free(k); }
};
using Ctx = std::unique_ptr<EVP_PKEY_CTX, CtxFree>;
using Key = std::unique_ptr<EVP_PKEY, KeyFree>;

double thread_cpu_s() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) / 1e9;
}

// RFC 8291's symmetric part, with every OpenSSL object fetched and
// allocated once: five HMAC-SHA256 (the HKDF steps: PRK_key, IKM, PRK, CEK,
// NONCE) and one AES-128-GCM record, salts drawn 64 at a time.
class Symmetric {
 public:
  Symmetric(size_t plaintext) : plain_(plaintext + 1, 'x'), out_(plaintext + 1 + 16) {
    plain_.back() = 2;  // the last record's delimiter
    mac_ = EVP_MAC_fetch(nullptr, "HMAC", nullptr);
    if (mac_) m_ = EVP_MAC_CTX_new(mac_);
    aes_ = EVP_CIPHER_fetch(nullptr, "AES-128-GCM", nullptr);
    c_ = EVP_CIPHER_CTX_new();
    char sha[] = "SHA256";
    OSSL_PARAM p[] = {OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, sha, 0), OSSL_PARAM_construct_end()};
    ok_ = m_ && aes_ && c_ && EVP_MAC_CTX_set_params(m_, p) == 1 &&
          EVP_EncryptInit_ex2(c_, aes_, nullptr, nullptr, nullptr) == 1;
  }
  ~Symmetric() {
    EVP_MAC_CTX_free(m_);
    EVP_MAC_free(mac_);
    EVP_CIPHER_CTX_free(c_);
    EVP_CIPHER_free(aes_);
  }
  Symmetric(const Symmetric&) = delete;
  Symmetric& operator=(const Symmetric&) = delete;
  bool ok() const { return ok_; }

  bool message(const unsigned char* secret, const unsigned char* ua_point, const unsigned char* as_point) {
    static const unsigned char kKeyInfo[] = "WebPush: info";  // with its NUL
    static const unsigned char kCekInfo[] = "Content-Encoding: aes128gcm";
    static const unsigned char kNonceInfo[] = "Content-Encoding: nonce";
    static const unsigned char kOne = 1;
    if (salt_at_ == sizeof salts_) {
      if (RAND_bytes(salts_, sizeof salts_) != 1) return false;
      salt_at_ = 0;
    }
    const unsigned char* salt = salts_ + salt_at_;
    salt_at_ += 16;
    unsigned char prk_key[32], ikm[32], prk[32], cek[32], nonce[32];
    int len = 0;
    return hmac(auth_, 16, {{secret, 32}}, prk_key) &&
           hmac(prk_key, 32, {{kKeyInfo, sizeof kKeyInfo}, {ua_point, 65}, {as_point, 65}, {&kOne, 1}}, ikm) &&
           hmac(salt, 16, {{ikm, 32}}, prk) && hmac(prk, 32, {{kCekInfo, sizeof kCekInfo}, {&kOne, 1}}, cek) &&
           hmac(prk, 32, {{kNonceInfo, sizeof kNonceInfo}, {&kOne, 1}}, nonce) &&
           EVP_EncryptInit_ex2(c_, nullptr, cek, nonce, nullptr) == 1 &&
           EVP_EncryptUpdate(c_, out_.data(), &len, plain_.data(), static_cast<int>(plain_.size())) == 1 &&
           EVP_EncryptFinal_ex(c_, out_.data() + len, &len) == 1 &&
           EVP_CIPHER_CTX_ctrl(c_, EVP_CTRL_GCM_GET_TAG, 16, out_.data() + plain_.size()) == 1;
  }

 private:
  struct Part {
    const unsigned char* p;
    size_t n;
  };
  bool hmac(const unsigned char* key, size_t klen, std::initializer_list<Part> parts, unsigned char out[32]) {
    if (EVP_MAC_init(m_, key, klen, nullptr) != 1) return false;
    for (const Part& x : parts)
      if (EVP_MAC_update(m_, x.p, x.n) != 1) return false;
    size_t n = 0;
    return EVP_MAC_final(m_, out, &n, 32) == 1;
  }

  std::vector<unsigned char> plain_, out_;
  unsigned char auth_[16] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16};
  unsigned char salts_[16 * 64];
  size_t salt_at_ = sizeof salts_;
  EVP_MAC* mac_ = nullptr;
  EVP_MAC_CTX* m_ = nullptr;
  EVP_CIPHER* aes_ = nullptr;
  EVP_CIPHER_CTX* c_ = nullptr;
  bool ok_ = false;
};

// One message's asymmetric work (and, with sym, the rest of RFC 8291's);
// false if OpenSSL fails.
bool one_message(EVP_PKEY_CTX* gen, EVP_PKEY* peer, const unsigned char* peer_point, Symmetric* sym) {
  EVP_PKEY* raw = nullptr;
  if (EVP_PKEY_generate(gen, &raw) != 1) return false;
  Key eph(raw);
  unsigned char point[65], secret[32];
  size_t plen = 0, slen = sizeof secret;
  if (EVP_PKEY_get_octet_string_param(eph.get(), OSSL_PKEY_PARAM_PUB_KEY, point, sizeof point, &plen) != 1)
    return false;
  Ctx d(EVP_PKEY_CTX_new_from_pkey(nullptr, eph.get(), nullptr));
  if (!d || EVP_PKEY_derive_init(d.get()) != 1 || EVP_PKEY_derive_set_peer_ex(d.get(), peer, 0) != 1 ||
      EVP_PKEY_derive(d.get(), secret, &slen) != 1 || slen != sizeof secret)
    return false;
  return !sym || sym->message(secret, peer_point, point);
}

}  // namespace

double webpush_crypto_floor_us(int rounds, int per_round, long plaintext_bytes) {
  Key peer(EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256"));  // the subscription's key
  Ctx gen(EVP_PKEY_CTX_new_from_name(nullptr, "EC", nullptr));
  unsigned char peer_point[65];
  size_t plen = 0;
  if (!peer || !gen || EVP_PKEY_keygen_init(gen.get()) != 1 ||
      EVP_PKEY_CTX_set_group_name(gen.get(), "P-256") != 1 ||
      EVP_PKEY_get_octet_string_param(peer.get(), OSSL_PKEY_PARAM_PUB_KEY, peer_point, sizeof peer_point, &plen) != 1)
    return -1;
  std::unique_ptr<Symmetric> sym;
  if (plaintext_bytes >= 0) {
    sym = std::make_unique<Symmetric>(static_cast<size_t>(plaintext_bytes));
    if (!sym->ok()) return -1;
  }
  if (!one_message(gen.get(), peer.get(), peer_point, sym.get())) return -1;
  std::vector<double> us;
  for (int r = 0; r < rounds; ++r) {
    const double t0 = thread_cpu_s();
    for (int i = 0; i < per_round; ++i)
      if (!one_message(gen.get(), peer.get(), peer_point, sym.get())) return -1;
    us.push_back((thread_cpu_s() - t0) / per_round * 1e6);
  }
  std::sort(us.begin(), us.end());
  return us[us.size() / 2];
}

}  // namespace pushgw::bench
