#include "crypto_floor.h"

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/obj_mac.h>
#include <openssl/rand.h>
#include <time.h>

#include <algorithm>
#include <cstring>
#include <memory>
#include <vector>

namespace pushgw::bench {
namespace {

struct KeyFree {
  void operator()(EVP_PKEY* k) const { EVP_PKEY_free(k); }
};
using Key = std::unique_ptr<EVP_PKEY, KeyFree>;

double thread_cpu_s() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) / 1e9;
}

// RFC 8291's symmetric part, with every OpenSSL object fetched and
// allocated once: five HMAC-SHA256 (the HKDF steps: PRK_key, IKM, PRK, CEK,
// NONCE, the last reusing the fourth's key) and one AES-128-GCM record,
// salts drawn 64 at a time.
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
           hmac(nullptr, 0, {{kNonceInfo, sizeof kNonceInfo}, {&kOne, 1}}, nonce) &&  // PRK again
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
  // A null key reuses the previous call's keyed state (OpenSSL's EVP_MAC_init
  // contract), as pushgwd does for the nonce: the PRK is not hashed twice.
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

// The asymmetric part on OpenSSL's EC_POINT layer, every object made once:
// the calls OpenSSL's own EC key generation and ECDH make (a scalar uniform
// in [1, n-1] from the private DRBG, d*G, then X of d*peer), without an
// EVP_PKEY per message, which costs ~75k more instructions. The peer is a
// point decoded (and validated) once; scalar and secret are wiped after use.
class Asymmetric {
 public:
  explicit Asymmetric(const unsigned char* peer65)
      : g_(EC_GROUP_new_by_curve_name_ex(nullptr, nullptr, NID_X9_62_prime256v1)), bn_(BN_CTX_new()) {
    if (!g_ || !bn_) return;
    peer_ = EC_POINT_new(g_);
    pub_ = EC_POINT_new(g_);
    shared_ = EC_POINT_new(g_);
    d_ = BN_secure_new();
    x_ = BN_new();
    ok_ = peer_ && pub_ && shared_ && d_ && x_ && EC_POINT_oct2point(g_, peer_, peer65, 65, bn_) == 1;
    if (d_) BN_set_flags(d_, BN_FLG_CONSTTIME);
  }
  ~Asymmetric() {
    EC_POINT_free(peer_);
    EC_POINT_free(pub_);
    EC_POINT_clear_free(shared_);
    BN_clear_free(d_);
    BN_clear_free(x_);
    BN_CTX_free(bn_);
    EC_GROUP_free(g_);
  }
  Asymmetric(const Asymmetric&) = delete;
  Asymmetric& operator=(const Asymmetric&) = delete;
  bool ok() const { return ok_; }

  bool message(unsigned char (&point)[65], unsigned char (&secret)[32]) {
    do {
      if (BN_priv_rand_range_ex(d_, EC_GROUP_get0_order(g_), 0, bn_) != 1) return false;
    } while (BN_is_zero(d_));
    const bool done =
        EC_POINT_mul(g_, pub_, d_, nullptr, nullptr, bn_) == 1 &&
        EC_POINT_point2oct(g_, pub_, POINT_CONVERSION_UNCOMPRESSED, point, sizeof point, bn_) == sizeof point &&
        EC_POINT_mul(g_, shared_, nullptr, peer_, d_, bn_) == 1 &&
        EC_POINT_get_affine_coordinates(g_, shared_, x_, nullptr, bn_) == 1 &&
        BN_bn2binpad(x_, secret, sizeof secret) == sizeof secret;
    BN_clear(d_);
    BN_clear(x_);
    return EC_POINT_copy(shared_, EC_GROUP_get0_generator(g_)) == 1 && done;
  }

 private:
  EC_GROUP* g_;
  BN_CTX* bn_;
  EC_POINT* peer_ = nullptr;
  EC_POINT* pub_ = nullptr;
  EC_POINT* shared_ = nullptr;
  BIGNUM* d_ = nullptr;
  BIGNUM* x_ = nullptr;
  bool ok_ = false;
};

// One message's asymmetric work (and, with sym, the rest of RFC 8291's);
// false if OpenSSL fails.
bool one_message(Asymmetric& asym, const unsigned char* peer_point, Symmetric* sym) {
  unsigned char point[65], secret[32];
  return asym.message(point, secret) && (!sym || sym->message(secret, peer_point, point));
}

}  // namespace

double webpush_crypto_floor_us(int rounds, int per_round, long plaintext_bytes) {
  Key peer(EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256"));  // the subscription's key
  unsigned char peer_point[65];
  size_t plen = 0;
  if (!peer ||
      EVP_PKEY_get_octet_string_param(peer.get(), OSSL_PKEY_PARAM_PUB_KEY, peer_point, sizeof peer_point, &plen) != 1)
    return -1;
  Asymmetric asym(peer_point);
  if (!asym.ok()) return -1;
  std::unique_ptr<Symmetric> sym;
  if (plaintext_bytes >= 0) {
    sym = std::make_unique<Symmetric>(static_cast<size_t>(plaintext_bytes));
    if (!sym->ok()) return -1;
  }
  if (!one_message(asym, peer_point, sym.get())) return -1;
  std::vector<double> us;
  for (int r = 0; r < rounds; ++r) {
    const double t0 = thread_cpu_s();
    for (int i = 0; i < per_round; ++i)
      if (!one_message(asym, peer_point, sym.get())) return -1;
    us.push_back((thread_cpu_s() - t0) / per_round * 1e6);
  }
  std::sort(us.begin(), us.end());
  return us[us.size() / 2];
}

}  // namespace pushgw::bench
