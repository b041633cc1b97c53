// The simulated APNs provider API: POST /3/device/<token>.
//
// Validates like Apple (path, provider token, apns-* headers, payload), then
// applies the scripted behaviour of the token's prefix (script.h). Every
// answer carries apns-id (the request's, or a fresh UUID); errors carry
// {"reason":...}, 410 also "timestamp" (epoch ms).
//
// Provider tokens: verified once per distinct JWT string and cached (a real
// client reuses one token for ~50 min); Stats::apns.jwt_verifications counts
// signature checks, jwts_accepted the distinct tokens that verified. The iat
// age is checked on every request, then the reject_jwt faults (faults.h).
//
// Thread safety: handle() may run on several worker threads at once; keys
// are fixed before the first request.
#pragma once
#include <simdjson.h>

#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>

#include "crypto/keys.h"
#include "faults.h"
#include "handler_ctx.h"
#include "http_types.h"
#include "pushgw/result.h"
#include "script.h"
#include "stats.h"

namespace pushgw::sim {

struct ApnsVerdict {
  int status = 0;  // 0: passed
  std::string_view reason;
  bool passed() const { return status == 0; }
};

inline constexpr int64_t kApnsTokenMaxAgeS = 3600;
inline constexpr int64_t kApnsTokenMaxSkewS = 60;
inline constexpr size_t kApnsMaxPayload = 4096;
inline constexpr size_t kApnsMaxVoipPayload = 5120;

// Path "/3/device/<64 hex>" → token; BadPath / MissingDeviceToken /
// BadDeviceToken otherwise.
ApnsVerdict apns_parse_path(std::string_view path, std::string_view& token);
// apns-* headers (not authorization, not the payload).
ApnsVerdict apns_check_headers(const HeaderList& h);
// Body: PayloadEmpty, PayloadTooLarge (4096, voip 5120), BadPayload (not a
// JSON object).
ApnsVerdict apns_check_payload(const SimRequest& r, simdjson::dom::parser& parser);

class ApnsService {
 public:
  ApnsService(Stats& stats, DeliveryRecords& records, const FaultBoard& faults)
      : stats_(stats), records_(records), faults_(faults) {}

  // pem: the .p8 private key or a public key PEM. Errors: "bad_key".
  Result<void> add_key(std::string team_id, std::string key_id, std::string_view pem);
  size_t key_count() const { return keys_.size(); }
  // The app's bundle ids (before start). When set, a request whose
  // apns-topic is neither one of them nor one of them plus a suffix
  // (".voip", ".complication", ...) is answered 400 DeviceTokenNotForTopic,
  // whatever its device token: every device belongs to these apps.
  void set_topics(std::vector<std::string> topics) { topics_ = std::move(topics); }

  Disposition handle(HandlerCtx& ctx, const SimRequest& req, SimResponse& resp);
  // --sink: 200 + apns-id, counted and recorded, nothing checked.
  void handle_sink(HandlerCtx& ctx, const SimRequest& req, SimResponse& resp);
  // Forgets verified tokens and scripted "first time" state.
  void reset();

  // Provider-token check (exposed for tests).
  ApnsVerdict check_provider_token(HandlerCtx& ctx, std::string_view authorization);

 private:
  struct Key {
    std::string team_id;
    crypto::EvpPkeyPtr key;
  };
  bool topic_known(std::string_view topic) const;
  ApnsVerdict verify_new_token(HandlerCtx& ctx, std::string_view jwt, int64_t& iat);
  // Under mu_: picks up a changed fault set (and with it the reject_jwt=current target).
  void refresh_faults_locked();
  // Under mu_: the reject_jwt faults' answer for an accepted token.
  ApnsVerdict jwt_fault_locked(std::string_view jwt, int64_t iat);
  void answer(HandlerCtx& ctx, const SimRequest& req, SimResponse& resp, int status,
              std::string_view reason);

  Stats& stats_;
  DeliveryRecords& records_;
  const FaultBoard& faults_;
  std::unordered_map<std::string, Key> keys_;  // by key id; fixed after start
  std::vector<std::string> topics_;            // fixed after start
  std::mutex mu_;                              // guards verified_ and the JWT fault state below
  std::unordered_map<std::string, int64_t> verified_;  // JWT → iat
  uint64_t faults_gen_ = ~uint64_t{0};
  FaultSet jwt_faults_;       // the board's set as of faults_gen_
  std::string newest_jwt_;    // the last JWT that verified for the first time
  std::string reject_target_; // reject_jwt=current: the JWT rejected ("" until one is seen)
  FirstN first_n_;
};

}  // namespace pushgw::sim
