// Web Push provider (RFC 8030 delivery, RFC 8291 aes128gcm encryption,
// RFC 8292 VAPID). Pure: per message it renders the payload, encrypts it for
// the subscription and signs nothing new (VAPID JWTs are cached per push
// service origin); the pool does the I/O.
//
// One instance per sender thread: the VAPID cache, the encryption contexts
// and the scratch buffers are owned without locks. The subscription's p256dh
// was validated by ingest (P256Checker); here it is only imported, without
// checking the curve again: build() trusts that every Batch comes from
// ingest (the spool replays request lines through ingest too).
#pragma once
#include <memory>
#include <string>
#include <string_view>

#include "crypto/ece.h"
#include "crypto/vapid.h"
#include "pushgw/provider.h"

namespace pushgw::provider {

struct WebPushSettings {
  std::string vapid_private_key_pem;  // EC P-256, SEC1 or PKCS#8
  std::string vapid_subject;          // "mailto:..." or "https:..."
};

class WebPushProvider final : public Provider {
 public:
  // Errors: "bad_key" (VAPID key is not a P-256 private key), "bad_config"
  // (subject is not mailto:/https:), "crypto_failed".
  static Result<std::unique_ptr<WebPushProvider>> create(const WebPushSettings& s);

  Platform platform() const override { return Platform::WebPush; }
  // "host:port" of the recipient's endpoint (host lowercased, port 443 when
  // not written, IPv6 in brackets); "" for an unparsable endpoint. The view
  // points into a per-instance buffer valid until the next origin() call.
  std::string_view origin(const Batch& b, uint32_t idx) const override;
  // Errors: "bad_subscription" (endpoint or keys unusable), "payload_too_large",
  // "vapid_failed", "crypto_failed".
  Result<void> build(const Batch& b, uint32_t idx, int64_t now_ms, HttpRequest& req) override;
  Verdict classify(const HttpResponse& resp, int64_t now_ms) const override;

  const crypto::VapidSigner& vapid() const { return vapid_; }

 private:
  WebPushProvider(crypto::VapidSigner vapid, crypto::EceEncryptor ece);

  crypto::VapidSigner vapid_;
  crypto::EceEncryptor ece_;
  std::string payload_;         // rendered plaintext, reused across messages
  std::string aud_;             // "https://host[:port]"
  mutable std::string origin_;  // origin()'s result (one instance per thread)
};

// Pure classification table (exposed for tests and fuzzing).
Verdict classify_webpush(int status, std::string_view body, std::string_view location,
                         std::string_view retry_after, int64_t now_ms);

}  // namespace pushgw::provider
