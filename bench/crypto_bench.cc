// Crypto hot paths. Read BM_WebPushEncryptValidated (the provider's path)
// against BM_P256EcPointFloor: RFC 8291 needs one fresh P-256 key pair, its
// point encoded and one ECDH per message, so that (on OpenSSL's EC_POINT
// layer, as pushgw-bench's floor and the encryptor do it, against an already
// validated subscription point) is the floor; the difference is HKDF,
// AES-GCM, the header and our overhead. The BM_P256KeygenEcdh* ones are the
// same work through EVP_PKEY objects, for contrast.
#include <benchmark/benchmark.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/obj_mac.h>

#include <cstdlib>
#include <memory>
#include <string>

#include "crypto/ece.h"
#include "crypto/jwt.h"
#include "crypto/keys.h"
#include "crypto/vapid.h"

namespace pushgw::crypto {
namespace {

EvpPkeyPtr must(Result<EvpPkeyPtr> r) {
  if (!r) std::abort();
  return std::move(r).value();
}

struct Subscription {
  EvpPkeyPtr priv = must(generate_p256());
  std::string pub65 = p256_public_uncompressed(priv.get()).value();
  EvpPkeyPtr pub = must(p256_from_public_uncompressed(pub65));
  std::string auth = random_bytes(16).value();
};

void BM_Es256Sign(benchmark::State& state) {
  auto key = must(generate_p256());
  const std::string input =
      "eyJhbGciOiJFUzI1NiIsImtpZCI6IktFWTEyMzQ1NjcifQ."
      "eyJpc3MiOiJBQkNERTEyMzQ1IiwiaWF0IjoxNzAwMDAwMDAwfQ";
  for (auto _ : state) {
    auto sig = es256_sign_raw(key.get(), input);
    if (!sig) state.SkipWithError("sign failed");
    benchmark::DoNotOptimize(sig);
  }
}
BENCHMARK(BM_Es256Sign);

// Raw: the subscription key given as its 65 raw bytes, decoded with its
// on-curve check; Validated: what the provider does per message, the same
// bytes taken without the check (ingest made it); Evp: an imported EVP_PKEY
// given too (its 65 bytes decoded with the check).
enum class KeyForm { Evp, Raw, Validated };
void encrypt_loop(benchmark::State& state, KeyForm form) {
  Subscription sub;
  auto enc = EceEncryptor::create();
  if (!enc) std::abort();
  const std::string plaintext(static_cast<size_t>(state.range(0)), 'p');
  std::string body;
  for (auto _ : state) {
    auto r = form == KeyForm::Raw         ? enc->encrypt(plaintext, sub.pub65, sub.auth, body)
             : form == KeyForm::Validated ? enc->encrypt_validated(plaintext, sub.pub65, sub.auth, body)
                                          : enc->encrypt(plaintext, sub.pub.get(), sub.pub65, sub.auth, body);
    if (!r) state.SkipWithError("encrypt failed");
    benchmark::DoNotOptimize(body.data());
  }
  state.SetBytesProcessed(state.iterations() * state.range(0));
}

void BM_WebPushEncrypt(benchmark::State& state) { encrypt_loop(state, KeyForm::Evp); }
BENCHMARK(BM_WebPushEncrypt)->Arg(100)->Arg(1000)->Arg(3993);

void BM_WebPushEncryptRawKey(benchmark::State& state) { encrypt_loop(state, KeyForm::Raw); }
BENCHMARK(BM_WebPushEncryptRawKey)->Arg(120);

void BM_WebPushEncryptValidated(benchmark::State& state) { encrypt_loop(state, KeyForm::Validated); }
BENCHMARK(BM_WebPushEncryptValidated)->Arg(120);

// The one-shot free function: fetches algorithms and builds contexts per call.
void BM_WebPushEncryptOneShot(benchmark::State& state) {
  Subscription sub;
  const std::string plaintext(static_cast<size_t>(state.range(0)), 'p');
  std::string body;
  for (auto _ : state) {
    auto r = webpush_encrypt(plaintext, sub.pub.get(), sub.pub65, sub.auth, body);
    if (!r) state.SkipWithError("encrypt failed");
    benchmark::DoNotOptimize(body.data());
  }
}
BENCHMARK(BM_WebPushEncryptOneShot)->Arg(1000);

// Raw OpenSSL: reused keygen context, one derive context per message.
// serialize: also encode the ephemeral public key (the body carries it), which
// costs a field inversion; so the true floor of a message is the Serialized one.
void keygen_ecdh(benchmark::State& state, int validate_peer, bool serialize = false) {
  Subscription sub;
  EVP_PKEY_CTX* gen = EVP_PKEY_CTX_new_from_name(nullptr, "EC", nullptr);
  if (gen == nullptr || EVP_PKEY_keygen_init(gen) != 1 ||
      EVP_PKEY_CTX_set_group_name(gen, "P-256") != 1)
    std::abort();
  unsigned char secret[32] = {};
  unsigned char point[65] = {};
  for (auto _ : state) {
    EVP_PKEY* eph = nullptr;
    size_t len = sizeof secret;
    EVP_PKEY_CTX* dctx = nullptr;
    if (EVP_PKEY_generate(gen, &eph) != 1 ||
        (dctx = EVP_PKEY_CTX_new_from_pkey(nullptr, eph, nullptr)) == nullptr ||
        EVP_PKEY_derive_init(dctx) != 1 ||
        EVP_PKEY_derive_set_peer_ex(dctx, sub.pub.get(), validate_peer) != 1 ||
        EVP_PKEY_derive(dctx, secret, &len) != 1)
      state.SkipWithError("keygen/derive failed");
    size_t plen = 0;
    if (serialize && EVP_PKEY_get_octet_string_param(eph, OSSL_PKEY_PARAM_PUB_KEY, point,
                                                     sizeof point, &plen) != 1)
      state.SkipWithError("serialize failed");
    benchmark::DoNotOptimize(secret);
    benchmark::DoNotOptimize(point);
    EVP_PKEY_CTX_free(dctx);
    EVP_PKEY_free(eph);
  }
  EVP_PKEY_CTX_free(gen);
}

void BM_P256KeygenEcdhFloor(benchmark::State& state) { keygen_ecdh(state, 0); }
BENCHMARK(BM_P256KeygenEcdhFloor);

void BM_P256KeygenEcdhSerializedFloor(benchmark::State& state) { keygen_ecdh(state, 0, true); }
BENCHMARK(BM_P256KeygenEcdhSerializedFloor);

// The floor on OpenSSL's EC_POINT layer, every object made once: scalar in
// [1, n-1] from the private DRBG, d*G encoded, X of d*peer (the calls
// OpenSSL's EC key generation and ECDH make, without EVP_PKEY objects).
void BM_P256EcPointFloor(benchmark::State& state) {
  Subscription sub;
  EC_GROUP* g = EC_GROUP_new_by_curve_name_ex(nullptr, nullptr, NID_X9_62_prime256v1);
  BN_CTX* bn = BN_CTX_new();
  EC_POINT* peer = g ? EC_POINT_new(g) : nullptr;
  EC_POINT* pub = g ? EC_POINT_new(g) : nullptr;
  EC_POINT* shared = g ? EC_POINT_new(g) : nullptr;
  BIGNUM* d = BN_secure_new();
  BIGNUM* x = BN_new();
  if (!bn || !peer || !pub || !shared || !d || !x ||
      EC_POINT_oct2point(g, peer, reinterpret_cast<const unsigned char*>(sub.pub65.data()), 65, bn) != 1)
    std::abort();
  BN_set_flags(d, BN_FLG_CONSTTIME);
  unsigned char secret[32] = {};
  unsigned char point[65] = {};
  for (auto _ : state) {
    do {
      if (BN_priv_rand_range_ex(d, EC_GROUP_get0_order(g), 0, bn) != 1) state.SkipWithError("rng failed");
    } while (BN_is_zero(d));
    if (EC_POINT_mul(g, pub, d, nullptr, nullptr, bn) != 1 ||
        EC_POINT_point2oct(g, pub, POINT_CONVERSION_UNCOMPRESSED, point, sizeof point, bn) != sizeof point ||
        EC_POINT_mul(g, shared, nullptr, peer, d, bn) != 1 ||
        EC_POINT_get_affine_coordinates(g, shared, x, nullptr, bn) != 1 ||
        BN_bn2binpad(x, secret, sizeof secret) != sizeof secret)
      state.SkipWithError("keygen/derive failed");
    BN_clear(d);
    BN_clear(x);
    benchmark::DoNotOptimize(secret);
    benchmark::DoNotOptimize(point);
  }
  EC_POINT_free(peer);
  EC_POINT_free(pub);
  EC_POINT_clear_free(shared);
  BN_clear_free(d);
  BN_clear_free(x);
  BN_CTX_free(bn);
  EC_GROUP_free(g);
}
BENCHMARK(BM_P256EcPointFloor);

// For contrast: what re-validating the subscription key per message costs.
void BM_P256KeygenEcdhValidated(benchmark::State& state) { keygen_ecdh(state, 1); }
BENCHMARK(BM_P256KeygenEcdhValidated);

// Per-subscription key import with its on-curve check (done once per key).
void BM_P256ImportPublic(benchmark::State& state) {
  Subscription sub;
  for (auto _ : state) {
    auto k = p256_from_public_uncompressed(sub.pub65);
    if (!k) state.SkipWithError("import failed");
    benchmark::DoNotOptimize(k);
  }
}
BENCHMARK(BM_P256ImportPublic);

void BM_VapidCached(benchmark::State& state) {
  auto key = must(generate_p256());
  auto signer = VapidSigner::create(private_key_to_pem(key.get()), "mailto:ops@example.com");
  if (!signer) std::abort();
  const int64_t now_ms = 1'700'000'000'000;
  const std::string origin = "https://fcm.googleapis.com";
  for (auto _ : state) {
    const std::string& h = signer->authorization(origin, now_ms);
    benchmark::DoNotOptimize(h.data());
  }
  if (signer->signatures() != 1) state.SkipWithError("cache did not hold");
}
BENCHMARK(BM_VapidCached);

}  // namespace
}  // namespace pushgw::crypto
