// What ingest hands to the sender threads.
//
// A Batch is one entry of a request's "notifications" array: the shared,
// compiled payload plus every recipient of that entry. It is allocated once by
// ingest; per-recipient data (tokens, vars) live in its arena so expanding a
// batch into SendJobs allocates nothing per recipient.
//
// Ownership: ingest allocates the Batch, sets `pending` to its number of
// recipients and hands one SendJob per recipient to the senders; the Batch
// pointer in a SendJob is borrowed. A sender decrements `pending` when its
// recipient reaches a final outcome (after writing results[idx] when the
// request waits). The thread that brings `pending` to 0 owns the Batch from
// then on: without `wait` it deletes it; with `wait` it hands it back to the
// ingest thread through its completion ring (dispatch::Sender::completions()),
// where the request is answered and the Batch deleted.
#pragma once
#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "pushgw/platform.h"
#include "pushgw/template.h"

namespace pushgw {

struct Recipient {
  uint32_t token_off = 0, token_len = 0;  // APNs/FCM token, FCM topic/condition, or Web Push endpoint
  uint32_t vars_off = UINT32_MAX;         // index into Batch::vars of its run's header; UINT32_MAX = none
  uint32_t keys_off = 0;                  // Web Push: 65-byte p256dh then 16-byte auth, in arena
  int64_t registered_at_ms = 0;           // APNs 410 nuance (0 = not given)
};

// Final result of one recipient (only kept when the request waits).
struct ResultSlot {
  Status status = Status::Failed;
  uint16_t http_status = 0;
  std::string reason;
  std::string id;  // apns-id / FCM name / Location
  std::string provider_reason;  // the provider's own reason when `reason` is the gateway's (suspect_config)
};

struct ApnsOptions {
  std::string topic;        // empty: app default
  std::string push_type;    // empty: not sent
  std::string collapse_id;  // empty: not sent
  int priority = -1;        // -1: not sent
  int64_t expiration = -1;  // -1: not sent (contract: absent field -> no header)
};

struct FcmOptions {
  enum class Target : uint8_t { Token, Topic, Condition } target = Target::Token;
};

struct WebPushOptions {
  int64_t ttl = 2419200;
  std::string urgency;  // empty: not sent
  std::string topic;    // empty: not sent
};

struct Batch {
  std::atomic<uint32_t> pending{0};   // recipients without a final outcome
  Platform platform = Platform::Apns;
  uint16_t app_id = 0;                // index into the daemon's app table
  uint32_t n = 0;                     // index in the request's notifications array
  uint64_t request_id = 0;            // ingest's id of the request (0: not waiting)
  bool wait = false;
  int64_t accepted_mono_ns = 0;       // when ingest accepted it (latency metrics)
  int64_t accepted_ms = 0;            // wall clock of acceptance (retry window start)
  int64_t expires_at_ms = 0;          // 0: none; never sent after this
  bool marketing = false;             // "class":"marketing": subject to frequency caps
  bool cap_override = false;          // request said "cap":false (honoured only if [policy] allows)
  bool once = false;                  // one attempt, no retry, no waiting on a failing origin (Web Push ttl 0)
  // False for the recipients ingest already knows are expired (held by
  // scheduling or quiet hours past their expires_at): final at once, so
  // neither journaled in the spool nor marked done there.
  bool journaled = true;

  std::string campaign;
  VarTable vars_table;
  Template tmpl;                      // APNs payload / FCM message / Web Push payload

  std::string arena;                  // tokens, var bytes, raw keys
  std::vector<Recipient> recipients;
  // Per recipient with vars, a run: a header whose `len` is the number of
  // values that follow, then those values sorted by slot (only the vars the
  // template names and the recipient gives: sparse).
  std::vector<VarValue> vars;
  std::vector<ResultSlot> results;    // sized to recipients when wait

  ApnsOptions apns;
  FcmOptions fcm;
  WebPushOptions webpush;

  std::string_view token(uint32_t i) const {
    const Recipient& r = recipients[i];
    return std::string_view(arena).substr(r.token_off, r.token_len);
  }
  VarView var_view(uint32_t i) const {
    const Recipient& r = recipients[i];
    if (r.vars_off == UINT32_MAX) return VarView{nullptr, 0, arena.data()};
    return VarView{vars.data() + r.vars_off + 1, vars[r.vars_off].len, arena.data()};
  }
};

// One recipient to send: small and trivially copyable, it travels through the
// lock-free rings by value.
struct SendJob {
  Batch* batch = nullptr;
  uint32_t idx = 0;
  uint16_t attempt = 0;
  // Resends of requests the peer provably never processed (REFUSED_STREAM,
  // above a GOAWAY's last-stream-id): they do not use up attempts, which a
  // busy peer cycling connections could otherwise exhaust, but are capped.
  uint8_t unprocessed = 0;
  // Resends after a failure that says nothing about the notification (its
  // connection was found dead by PING, its credential was just replaced):
  // they do not use up attempts either, and are capped lower.
  uint8_t resent = 0;
};

}  // namespace pushgw
