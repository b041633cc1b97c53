// The simulated FCM: Google's OAuth token endpoint (POST /token, RS256
// service-account assertions) and the HTTP v1 send API
// (POST /v1/projects/<p>/messages:send), with Google's error JSON shapes and
// the scripted registration-token prefixes of script.h.
//
// Access tokens are random strings valid for --token-ttl seconds for the
// project of the service account that obtained them; expire_tokens()
// invalidates them all (tests: expiry → exactly one refresh).
//
// Thread safety: handlers may run concurrently; accounts are fixed before the
// first request.
#pragma once
#include <atomic>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>

#include "crypto/keys.h"
#include "handler_ctx.h"
#include "http_types.h"
#include "pushgw/result.h"
#include "script.h"
#include "stats.h"

namespace pushgw::sim {

inline constexpr size_t kFcmMaxMessageBytes = 4096;
inline constexpr std::string_view kFcmScope = "https://www.googleapis.com/auth/firebase.messaging";
inline constexpr std::string_view kCloudPlatformScope = "https://www.googleapis.com/auth/cloud-platform";

// {"error":{"code":..,"message":..,"status":..,"details":[...]}}. error_code
// adds the FcmError detail, field a google.rpc.BadRequest field violation;
// either may be empty.
std::string fcm_error_json(int code, std::string_view status, std::string_view message,
                           std::string_view error_code, std::string_view field = {});
// application/x-www-form-urlencoded value of `name`, percent-decoded.
std::string form_value(std::string_view body, std::string_view name);

class FcmService {
 public:
  FcmService(Stats& stats, DeliveryRecords& records) : stats_(stats), records_(records) {}

  // A Google service-account JSON document. Errors: "bad_service_account".
  Result<void> add_service_account(std::string_view json);
  void set_token_ttl(int64_t seconds) { token_ttl_s_ = seconds; }
  // The sim's own origin: an assertion whose aud is <origin>/token is
  // accepted besides the token_uri the account names.
  void set_origin(std::string origin);

  Disposition handle_token(HandlerCtx& ctx, const SimRequest& req, SimResponse& resp);
  Disposition handle_send(HandlerCtx& ctx, const SimRequest& req, SimResponse& resp);
  void handle_sink_token(HandlerCtx& ctx, const SimRequest& req, SimResponse& resp);
  void handle_sink_send(HandlerCtx& ctx, const SimRequest& req, SimResponse& resp);

  void expire_tokens();
  // Scripted "first time" state (issued tokens survive a reset).
  void reset() { first_n_.clear(); }

 private:
  struct Account {
    std::string project_id, token_uri;
    crypto::EvpPkeyPtr key;
  };
  struct Issued {
    std::string project_id;
    int64_t expires_ms;
  };
  // "" when the assertion is fine, else the error code for the 400 body.
  std::string_view check_assertion(HandlerCtx& ctx, std::string_view jwt, const Account** account,
                                   std::string& why);
  void issue_token(HandlerCtx& ctx, std::string_view project_id, SimResponse& resp, bool remember);
  bool token_live(HandlerCtx& ctx, std::string_view authorization, std::string_view project);
  void send_error(SimResponse& resp, int code, std::string_view status, std::string_view message,
                  std::string_view error_code, std::string_view field = {});
  void send_ok(HandlerCtx& ctx, std::string_view project, SimResponse& resp);

  Stats& stats_;
  DeliveryRecords& records_;
  std::unordered_map<std::string, Account> accounts_;  // by client_email; fixed after start
  int64_t token_ttl_s_ = 3600;
  std::string origin_, origin_localhost_;
  std::mutex mu_;  // guards tokens_
  std::unordered_map<std::string, Issued> tokens_;
  static constexpr size_t kPurgeMin = 100'000;
  size_t purge_at_ = kPurgeMin;
  FirstN first_n_;
  std::atomic<uint64_t> next_message_id_{1};
};

}  // namespace pushgw::sim
