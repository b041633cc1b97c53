// Web Push untrusted bytes: (a) the simulator's decrypt path — an aes128gcm
// body from the network, decrypted with a fixed subscription key; (b) a
// subscription object from a client, through send validation. Neither may
// crash, and a body that decrypts must re-encrypt and decrypt to itself.
#include <cstddef>
#include <cstdint>
#include <string>

#include <simdjson.h>

#include "crypto/ece.h"
#include "crypto/keys.h"
#include "ingest/send.h"

namespace {

using namespace pushgw;

class Apps : public ingest::AppDirectory {
 public:
  const ingest::AppInfo* find(Platform p, std::string_view) const override {
    return p == Platform::WebPush ? &web_ : nullptr;
  }

 private:
  ingest::AppInfo web_{0, Platform::WebPush, "w", true};
};

struct Keys {
  crypto::EvpPkeyPtr ua;
  std::string ua_pub;
  std::string auth = std::string(16, '\x07');
  Keys() {
    std::string d(32, '\x11');
    ua = std::move(crypto::p256_from_private_scalar(d).value());
    ua_pub = crypto::p256_public_uncompressed(ua.get()).value();
  }
};

void decrypt_path(const uint8_t* data, size_t size) {
  static const Keys keys;  // fixed test key, never mutated
  std::string_view body(reinterpret_cast<const char*>(data), size);
  auto plain = crypto::webpush_decrypt(body, keys.ua.get(), keys.auth);
  if (!plain.ok() || plain.value().size() > crypto::kEceMaxPlaintext) return;
  std::string again;
  if (!crypto::webpush_encrypt(plain.value(), keys.ua.get(), keys.ua_pub, keys.auth, again).ok()) abort();
  auto back = crypto::webpush_decrypt(again, keys.ua.get(), keys.auth);
  if (!back.ok() || back.value() != plain.value()) abort();
}

void subscription_path(const uint8_t* data, size_t size) {
  std::string line = R"({"op":"send","notifications":[{"platform":"webpush","app":"w","payload":"x","subscriptions":[)";
  line.append(reinterpret_cast<const char*>(data), size);
  line += "]}]}";
  simdjson::dom::parser parser;
  simdjson::dom::element root;
  if (parser.parse(line).get(root)) return;
  static const Apps apps;
  auto r = ingest::parse_send(root, apps, 1'700'000'000'000);
  if (!r.ok()) return;
  for (const auto& b : r.value().batches)
    for (const auto& rc : b->recipients)
      if (rc.keys_off + 81 > b->arena.size() || rc.token_off + rc.token_len > b->arena.size()) abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  if (data[0] & 1) decrypt_path(data + 1, size - 1);
  else subscription_path(data + 1, size - 1);
  return 0;
}
