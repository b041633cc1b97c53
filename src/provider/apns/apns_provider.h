// APNs provider API (HTTP/2, token-based auth). Pure: builds requests and
// classifies responses; the pool does the I/O.
#pragma once
#include <memory>
#include <string>

#include "provider/common/shared_headers.h"
#include "pushgw/job.h"
#include "pushgw/provider.h"

namespace pushgw::crypto {
class ApnsTokenSource;
}

namespace pushgw::provider {

struct ApnsSettings {
  std::string authority;      // "api.push.apple.com:443" or the endpoint override's host:port
  std::string default_topic;  // apns-topic when the request gives none
  std::shared_ptr<crypto::ApnsTokenSource> tokens;  // shared by every thread of this (team, key)
};

class ApnsProvider final : public Provider {
 public:
  explicit ApnsProvider(ApnsSettings s);
  Platform platform() const override { return Platform::Apns; }
  std::string_view origin(const Batch&, uint32_t) const override { return settings_.authority; }
  void begin_drain(int64_t now_ms) override;
  Result<void> build(const Batch& b, uint32_t idx, int64_t now_ms, HttpRequest& req) override;
  Verdict classify(const HttpResponse& resp, int64_t now_ms) const override;
  // A 200 is written into out's kept strings; other answers as classify().
  void classify_into(const HttpResponse& resp, int64_t now_ms, Verdict& out) const override;
  // The request's token is replaced at once (once per team and key, however
  // many streams report it) and the request sent again; a token renewed
  // moments ago and refused too fails it (ApnsTokenSource).
  CredentialRetry credential_rejected(const HttpRequest& req, int64_t now_ms) override;

 private:
  // What decides a block of shared headers: the JWT and a batch's options.
  struct HeaderKey {
    uint64_t token_gen = 0;
    ApnsOptions options;
  };
  // authorization, apns-topic, the batch's options, content-type: every
  // field but :path is the same for a batch's requests.
  void add_headers(HeaderList& out, const ApnsOptions& o) const;

  ApnsSettings settings_;
  std::shared_ptr<const std::string> token_;  // current provider JWT, read once per drain
  uint64_t token_gen_ = 0;                    // counts token_ changes (keys the blocks)
  std::string auth_header_;                   // "bearer <jwt>"
  SharedHeaders<HeaderKey> shared_;
};

// Pure classification table (exposed for tests and fuzzing).
Verdict classify_apns(int status, std::string_view body, std::string_view apns_id,
                      std::string_view retry_after, int64_t now_ms);

// Default authority for an environment ("production" | "sandbox").
std::string apns_default_authority(std::string_view environment);

}  // namespace pushgw::provider
