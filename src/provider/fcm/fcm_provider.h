// FCM HTTP v1 provider. Pure: builds messages:send requests and classifies
// Google's answers; the pool does the I/O and the daemon fetches OAuth2
// access tokens into the shared FcmTokenSource.
#pragma once
#include <memory>
#include <string>
#include <string_view>

#include "provider/common/shared_headers.h"
#include "provider/fcm/fcm_token_source.h"
#include "pushgw/provider.h"

namespace pushgw::provider {

inline constexpr std::string_view kFcmDefaultAuthority = "fcm.googleapis.com:443";

struct FcmSettings {
  std::string authority;   // "fcm.googleapis.com:443" or the endpoint override's host:port
  std::string project_id;  // from the service-account JSON
  std::shared_ptr<FcmTokenSource> tokens;  // shared by every thread of this service account
};

// Reads FCM responses with a reusable JSON parser, so classifying a 200
// (which carries the message name) allocates nothing once warm.
// One per thread: NOT thread-safe.
class FcmResponseReader {
 public:
  FcmResponseReader();
  ~FcmResponseReader();
  FcmResponseReader(FcmResponseReader&&) noexcept;
  FcmResponseReader& operator=(FcmResponseReader&&) noexcept;

  Verdict classify(int status, std::string_view body, std::string_view retry_after, int64_t now_ms);
  // The same into a Verdict the caller keeps: a 200's message name reuses
  // out.id's capacity, so the sender's path allocates nothing once warm.
  void classify_into(int status, std::string_view body, std::string_view retry_after, int64_t now_ms,
                     Verdict& out);

 private:
  struct Impl;  // simdjson parser, kept out of this header
  std::unique_ptr<Impl> impl_;
};

// The classification table as a free function (tests, fuzzing); builds a
// parser per call.
Verdict classify_fcm(int status, std::string_view body, std::string_view retry_after, int64_t now_ms);

class FcmProvider final : public Provider {
 public:
  explicit FcmProvider(FcmSettings s);
  Platform platform() const override { return Platform::Fcm; }
  std::string_view origin(const Batch&, uint32_t) const override { return settings_.authority; }
  // Reads the shared access token once per drain.
  void begin_drain(int64_t now_ms) override;
  bool credential_ready() const override { return token_ != nullptr; }
  // Errors: "credential_unavailable" (no access token yet), "bad_request"
  // (the stored message is not a JSON object; ingest never produces that).
  Result<void> build(const Batch& b, uint32_t idx, int64_t now_ms, HttpRequest& req) override;
  Verdict classify(const HttpResponse& resp, int64_t now_ms) const override;
  void classify_into(const HttpResponse& resp, int64_t now_ms, Verdict& out) const override;
  // A 401 on our access token: invalidate the one the request carried (once
  // across all threads, and only if still current; the refresher fetches a
  // new one), and retry the request as a transient failure.
  CredentialRetry credential_rejected(const HttpRequest& req, int64_t now_ms) override;

 private:
  FcmSettings settings_;
  std::string path_;                          // /v1/projects/<id>/messages:send
  std::shared_ptr<const std::string> token_;  // read once per drain
  uint64_t token_gen_ = 0;                    // counts token_ changes (keys the shared headers)
  std::string auth_header_;                   // "Bearer <token>"
  SharedHeaders<uint64_t> shared_;            // authorization, content-type; keyed by token_gen_
  mutable FcmResponseReader reader_;          // per-thread instance, so no lock needed
};

}  // namespace pushgw::provider
