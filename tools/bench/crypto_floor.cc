#include "crypto_floor.h"

#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <time.h>

#include <algorithm>
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

// One message's asymmetric work; false if OpenSSL fails.
bool one_message(EVP_PKEY_CTX* gen, EVP_PKEY* peer) {
  EVP_PKEY* raw = nullptr;
  if (EVP_PKEY_generate(gen, &raw) != 1) return false;
  Key eph(raw);
  unsigned char point[65], secret[32];
  size_t plen = 0, slen = sizeof secret;
  if (EVP_PKEY_get_octet_string_param(eph.get(), OSSL_PKEY_PARAM_PUB_KEY, point, sizeof point, &plen) != 1)
    return false;
  Ctx d(EVP_PKEY_CTX_new_from_pkey(nullptr, eph.get(), nullptr));
  return d && EVP_PKEY_derive_init(d.get()) == 1 && EVP_PKEY_derive_set_peer_ex(d.get(), peer, 0) == 1 &&
         EVP_PKEY_derive(d.get(), secret, &slen) == 1 && slen == sizeof secret;
}

}  // namespace

double webpush_crypto_floor_us(int rounds, int per_round) {
  Key peer(EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256"));  // the subscription's key
  Ctx gen(EVP_PKEY_CTX_new_from_name(nullptr, "EC", nullptr));
  if (!peer || !gen || EVP_PKEY_keygen_init(gen.get()) != 1 ||
      EVP_PKEY_CTX_set_group_name(gen.get(), "P-256") != 1 || !one_message(gen.get(), peer.get()))
    return -1;
  std::vector<double> us;
  for (int r = 0; r < rounds; ++r) {
    const double t0 = thread_cpu_s();
    for (int i = 0; i < per_round; ++i)
      if (!one_message(gen.get(), peer.get())) return -1;
    us.push_back((thread_cpu_s() - t0) / per_round * 1e6);
  }
  std::sort(us.begin(), us.end());
  return us[us.size() / 2];
}

}  // namespace pushgw::bench
