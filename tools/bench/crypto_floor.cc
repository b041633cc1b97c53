#include "crypto_floor.h"

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/obj_mac.h>
#include <openssl/rand.h>
#include <time.h>

#include <algorithm>
#include <array>
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
// batch > 1: the key pairs are made `batch` at a time, as a sender that
// batches them can: one DRBG draw for all scalars (out-of-range draws
// replaced), every d*G, then one inversion to affine for all points
// (EC_POINTs_make_affine) and their coordinates read as they are.
class Asymmetric {
 public:
  Asymmetric(const unsigned char* peer65, size_t batch)
      : g_(EC_GROUP_new_by_curve_name_ex(nullptr, nullptr, NID_X9_62_prime256v1)), bn_(BN_CTX_new()) {
    if (!g_ || !bn_) return;
    peer_ = EC_POINT_new(g_);
    pub_ = EC_POINT_new(g_);
    shared_ = EC_POINT_new(g_);
    d_ = BN_secure_new();
    x_ = BN_new();
    y_ = BN_new();
    z_ = BN_new();
    ok_ = peer_ && pub_ && shared_ && d_ && x_ && y_ && z_ && EC_POINT_oct2point(g_, peer_, peer65, 65, bn_) == 1;
    if (d_) BN_set_flags(d_, BN_FLG_CONSTTIME);
    if (batch > 1) {
      ds_.resize(batch);
      pts_.resize(batch);
      pubs_.resize(batch);
      next_ = batch;
      for (size_t i = 0; ok_ && i < batch; ++i) {
        ds_[i] = BN_secure_new();
        pts_[i] = EC_POINT_new(g_);
        ok_ = ds_[i] && pts_[i];
        if (ok_) BN_set_flags(ds_[i], BN_FLG_CONSTTIME);
      }
    }
  }
  ~Asymmetric() {
    for (EC_POINT* p : pts_) EC_POINT_free(p);
    for (BIGNUM* d : ds_) BN_clear_free(d);
    EC_POINT_free(peer_);
    EC_POINT_free(pub_);
    EC_POINT_clear_free(shared_);
    BN_clear_free(d_);
    BN_clear_free(x_);
    BN_free(y_);
    BN_free(z_);
    BN_CTX_free(bn_);
    EC_GROUP_free(g_);
  }
  Asymmetric(const Asymmetric&) = delete;
  Asymmetric& operator=(const Asymmetric&) = delete;
  bool ok() const { return ok_; }

  bool message(unsigned char (&point)[65], unsigned char (&secret)[32]) {
    BIGNUM* d = d_;
    if (ds_.empty()) {
      do {
        if (BN_priv_rand_range_ex(d_, EC_GROUP_get0_order(g_), 0, bn_) != 1) return false;
      } while (BN_is_zero(d_));
      if (EC_POINT_mul(g_, pub_, d_, nullptr, nullptr, bn_) != 1 ||
          EC_POINT_point2oct(g_, pub_, POINT_CONVERSION_UNCOMPRESSED, point, sizeof point, bn_) != sizeof point)
        return false;
    } else {
      if (next_ == ds_.size() && !refill()) return false;
      d = ds_[next_];
      std::memcpy(point, pubs_[next_].data(), sizeof point);
      ++next_;
    }
    const bool done = EC_POINT_mul(g_, shared_, nullptr, peer_, d, bn_) == 1 &&
                      EC_POINT_get_affine_coordinates(g_, shared_, x_, nullptr, bn_) == 1 &&
                      BN_bn2binpad(x_, secret, sizeof secret) == sizeof secret;
    BN_clear(d);
    BN_clear(x_);
    return EC_POINT_copy(shared_, EC_GROUP_get0_generator(g_)) == 1 && done;
  }

 private:
  bool refill() {
    std::vector<unsigned char> raw(32 * ds_.size());
    bool done = RAND_priv_bytes(raw.data(), static_cast<int>(raw.size())) == 1;
    for (size_t i = 0; done && i < ds_.size(); ++i) {
      unsigned char* b = raw.data() + 32 * i;
      while (done && (BN_bin2bn(b, 32, ds_[i]) == nullptr || BN_is_zero(ds_[i]) ||
                      BN_cmp(ds_[i], EC_GROUP_get0_order(g_)) >= 0))
        done = RAND_priv_bytes(b, 32) == 1;
      done = done && EC_POINT_mul(g_, pts_[i], ds_[i], nullptr, nullptr, bn_) == 1;
    }
    OPENSSL_cleanse(raw.data(), raw.size());
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"
    done = done && EC_POINTs_make_affine(g_, pts_.size(), pts_.data(), bn_) == 1;
    for (size_t i = 0; done && i < pts_.size(); ++i) {
      unsigned char* p = pubs_[i].data();
      p[0] = 0x04;
      done = EC_POINT_get_Jprojective_coordinates_GFp(g_, pts_[i], x_, y_, z_, bn_) == 1 && BN_is_one(z_) &&
             BN_bn2binpad(x_, p + 1, 32) == 32 && BN_bn2binpad(y_, p + 33, 32) == 32;
    }
#pragma GCC diagnostic pop
    next_ = 0;
    return done;
  }

  EC_GROUP* g_;
  BN_CTX* bn_;
  EC_POINT* peer_ = nullptr;
  EC_POINT* pub_ = nullptr;
  EC_POINT* shared_ = nullptr;
  BIGNUM* d_ = nullptr;
  BIGNUM *x_ = nullptr, *y_ = nullptr, *z_ = nullptr;
  std::vector<BIGNUM*> ds_;
  std::vector<EC_POINT*> pts_;
  std::vector<std::array<unsigned char, 65>> pubs_;
  size_t next_ = 0;
  bool ok_ = false;
};

// One message's asymmetric work (and, with sym, the rest of RFC 8291's);
// false if OpenSSL fails.
bool one_message(Asymmetric& asym, const unsigned char* peer_point, Symmetric* sym) {
  unsigned char point[65], secret[32];
  return asym.message(point, secret) && (!sym || sym->message(secret, peer_point, point));
}

}  // namespace

double webpush_crypto_floor_us(int rounds, int per_round, long plaintext_bytes, size_t keys_per_batch) {
  Key peer(EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256"));  // the subscription's key
  unsigned char peer_point[65];
  size_t plen = 0;
  if (!peer ||
      EVP_PKEY_get_octet_string_param(peer.get(), OSSL_PKEY_PARAM_PUB_KEY, peer_point, sizeof peer_point, &plen) != 1)
    return -1;
  Asymmetric asym(peer_point, keys_per_batch);
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
