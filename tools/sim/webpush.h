// The simulated Web Push service (RFC 8030) at POST /wp/<id>: VAPID
// (RFC 8292) checked like a push service does, RFC 8030 headers validated,
// the body decrypted (RFC 8291 aes128gcm) with the subscription's private key
// from --webpush-subscriptions and recorded for GET /webpush/messages.
//
// Thread safety: handlers may run concurrently; the subscription table is
// fixed before the first request (keys are parsed lazily under a lock).
#pragma once
#include <atomic>
#include <cstdint>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "crypto/keys.h"
#include "handler_ctx.h"
#include "http_types.h"
#include "pushgw/result.h"
#include "script.h"
#include "stats.h"

namespace pushgw::sim {

inline constexpr size_t kWebPushMaxBody = 4096;
inline constexpr int64_t kVapidMaxLifetimeS = 24 * 3600;
inline constexpr int64_t kVapidSkewS = 60;
inline constexpr size_t kMaxRecordedMessages = 100'000;

// RFC 8030 Topic: at most 32 characters of the URL-safe base64 alphabet.
bool valid_topic(std::string_view topic);
bool valid_urgency(std::string_view urgency);
// "vapid t=<jwt>, k=<key>" → t and k; false if the scheme is not vapid or a
// parameter is missing.
bool parse_vapid_header(std::string_view authorization, std::string_view& t, std::string_view& k);

struct WebPushMessage {
  std::string endpoint, plaintext, urgency, topic;
  int64_t ttl = 0;
  bool has_topic = false;
};

class WebPushService {
 public:
  WebPushService(Stats& stats, DeliveryRecords& records) : stats_(stats), records_(records) {}

  // The gen-subscriptions document. Returns how many were loaded. Errors:
  // "bad_subscriptions".
  Result<size_t> load_subscriptions(std::string_view json);
  // "https://127.0.0.1:PORT": the audience VAPID tokens must name.
  void set_origin(std::string origin);

  Disposition handle(HandlerCtx& ctx, const SimRequest& req, SimResponse& resp);
  void handle_sink(HandlerCtx& ctx, const SimRequest& req, SimResponse& resp);

  // [{"endpoint","plaintext","ttl","urgency","topic"}...] in arrival order.
  std::string messages_json() const;
  // Recorded messages, VAPID cache and scripted "first time" state.
  void reset();

  // 0 if fine, else 401/403 (exposed for tests).
  int check_vapid(HandlerCtx& ctx, std::string_view authorization);

 private:
  struct Subscription {
    std::string endpoint, auth, pem;
    crypto::EvpPkeyPtr key;  // parsed on first use, under keys_mu_
  };
  const EVP_PKEY* key_of(Subscription& s);
  void answer(HandlerCtx& ctx, SimResponse& resp, int status, std::string_view message);
  void accepted(HandlerCtx& ctx, const SimRequest& req, SimResponse& resp);

  Stats& stats_;
  DeliveryRecords& records_;
  bool audience_ok(std::string_view aud) const;  // a VAPID "aud" naming this sim
  std::string origin_, origin_localhost_;
  std::string test_name_suffix_;  // ".pushgw.test:PORT" 
  std::unordered_map<std::string, Subscription> subs_;  // by id (path after /wp/)
  std::mutex keys_mu_;
  mutable std::mutex mu_;  // guards vapid_ and messages_
  std::unordered_map<std::string, int64_t> vapid_;  // "t k" → exp
  std::vector<WebPushMessage> messages_;
  FirstN first_n_;
  std::atomic<uint64_t> next_location_{1};
};

}  // namespace pushgw::sim
