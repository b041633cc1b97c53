// Crypto hot paths. Read BM_WebPushEncrypt against BM_P256KeygenEcdhFloor:
// RFC 8291 needs one fresh P-256 key pair and one ECDH per message, so that
// pair (with the peer check skipped, as for a cached, validated subscription
// key) is the floor; the difference is our overhead (HKDF, AES-GCM, header).
#include <benchmark/benchmark.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>

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

// raw_key: what the provider does per message, the subscription key given
// as its 65 raw bytes and decoded (with its on-curve check) into the
// encryptor's own key; otherwise an already imported EVP_PKEY.
void encrypt_loop(benchmark::State& state, bool raw_key) {
  Subscription sub;
  auto enc = EceEncryptor::create();
  if (!enc) std::abort();
  const std::string plaintext(static_cast<size_t>(state.range(0)), 'p');
  std::string body;
  for (auto _ : state) {
    auto r = raw_key ? enc->encrypt(plaintext, sub.pub65, sub.auth, body)
                     : enc->encrypt(plaintext, sub.pub.get(), sub.pub65, sub.auth, body);
    if (!r) state.SkipWithError("encrypt failed");
    benchmark::DoNotOptimize(body.data());
  }
  state.SetBytesProcessed(state.iterations() * state.range(0));
}

void BM_WebPushEncrypt(benchmark::State& state) { encrypt_loop(state, false); }
BENCHMARK(BM_WebPushEncrypt)->Arg(100)->Arg(1000)->Arg(3993);

void BM_WebPushEncryptRawKey(benchmark::State& state) { encrypt_loop(state, true); }
BENCHMARK(BM_WebPushEncryptRawKey)->Arg(120);

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
