// Injected misbehaviour of the simulated provider (--fault / POST /faults).
//
// A FaultSet is a plain value parsed from lines such as "goaway_after=10";
// the FaultBoard holds the live set for all worker threads. Connections take
// a snapshot at accept and refresh it when the board's generation changes, so
// a POST /faults also affects connections that are already open.
#pragma once
#include <atomic>
#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>

#include "pushgw/clock.h"
#include "pushgw/result.h"

namespace pushgw::sim {

struct FaultSet {
  // After accepting N streams on a connection: GOAWAY(last = Nth stream),
  // finish those, close.
  std::optional<uint32_t> goaway_after;
  // The same with GOAWAY error code INTERNAL_ERROR instead of NO_ERROR
  // ("goaway_error_after=N"): a peer shutting down on a fault.
  bool goaway_error = false;
  // After N requests on a connection: drop it (no GOAWAY, no close_notify)
  // when request N+1 is complete; requests past N are never processed, the
  // answers to the first N are flushed first.
  std::optional<uint32_t> reset_after;
  // Accept requests, never answer them (PINGs are not answered either).
  bool stall = false;
  // Every Nth stream of a connection gets RST_STREAM(REFUSED_STREAM) before
  // it is processed (the peer may retry it anywhere).
  std::optional<uint32_t> refuse_every;
  // After answering N requests on a connection ("stall_after=N"): at request
  // N+1 the connection goes silent both ways, as behind a dead middlebox:
  // nothing more is read (request N+1 and later are never processed),
  // nothing more is written (no answer, no PING ACK), the socket stays open.
  // "stall_after=N:C": only the first C connections that reach N do so.
  std::optional<uint32_t> stall_after;
  uint32_t stall_connections = 0;  // 0: every connection
  // After N streams: SETTINGS_MAX_CONCURRENT_STREAMS = M; excess streams get
  // REFUSED_STREAM.
  std::optional<uint32_t> max_streams_after;
  uint32_t max_streams_to = 0;
  // Close accepted TCP connections immediately for this many seconds from the
  // moment the fault is set.
  std::optional<uint32_t> refuse_for_s;
  // New TLS connections get a self-signed certificate that fails verification.
  bool bad_tls = false;
  // A provider outage ("unavailable"): every APNs, FCM and Web Push send is
  // answered 503 (ServiceUnavailable / UNAVAILABLE) without Retry-After and
  // without being processed (no delivery recorded); connections, PINGs and
  // the OAuth token endpoint keep working. Clearing it ends the outage.
  bool unavailable = false;
  // The OAuth token endpoint is down ("token_unavailable"): every POST
  // /token is answered 503 with Google's error body; sends keep working for
  // a client that already holds a token. Clearing it ends the outage.
  bool token_unavailable = false;

  // Hostile peers (a Web Push origin anyone can choose):
  //  - "stop_reading": once the handshake is done and the server's SETTINGS
  //    are out, nothing more is read (the socket stays open, writes go on),
  //    so the client's writes pile up behind full socket buffers;
  //  - "drip_ping=MS[:N]" / "drip_settings=MS[:N]": every MS ms send N PING
  //    (or empty SETTINGS) frames the client must acknowledge;
  //  - "big_headers=N": every response carries extra headers of N bytes in
  //    all (names + values, in fields of at most 4 KiB);
  //  - "big_body=N": every response body is padded with spaces to N bytes.
  bool stop_reading = false;
  std::optional<uint32_t> drip_ping_ms;
  uint32_t drip_ping_count = 1;
  std::optional<uint32_t> drip_settings_ms;
  uint32_t drip_settings_count = 1;
  std::optional<uint32_t> big_headers;
  std::optional<uint32_t> big_body;

  // APNs provider-token (JWT) rejections, applied after the token verified:
  //  - "reject_jwt=current": the newest JWT the sim has accepted when the
  //    fault is set (or, if none yet, the first one it sees afterwards) is
  //    rejected on every request from then on; newer JWTs are accepted;
  //  - "reject_jwt=all": every JWT is rejected;
  //  - "reject_jwt_before=S": every JWT whose iat is before S (epoch s).
  // The answer is 403 ExpiredProviderToken, or InvalidProviderToken with
  // "reject_jwt_reason=InvalidProviderToken".
  enum class RejectJwt : uint8_t { None, Current, All };
  RejectJwt reject_jwt = RejectJwt::None;
  std::optional<int64_t> reject_jwt_before_s;
  bool reject_jwt_invalid = false;

  bool empty() const {
    return !goaway_after && !reset_after && !stall && !stall_after && !refuse_every && !max_streams_after &&
           !refuse_for_s && !bad_tls && !unavailable && !token_unavailable && reject_jwt == RejectJwt::None && !reject_jwt_before_s && !hostile();
  }
  bool hostile() const { return stop_reading || drip_ping_ms || drip_settings_ms || big_headers || big_body; }
  bool rejects_jwts() const { return reject_jwt != RejectJwt::None || reject_jwt_before_s.has_value(); }
  // One fault per line, in the same syntax parse_faults accepts.
  std::string to_text() const;
};

// Adds one "name[=value]" spec to f. Errors: "bad_fault".
Result<void> apply_fault(std::string_view spec, FaultSet& f);
// Parses newline-separated specs (blank lines and surrounding spaces ignored);
// empty text gives an empty set.
Result<FaultSet> parse_faults(std::string_view text);

class FaultBoard {
 public:
  explicit FaultBoard(const Clock& clock) : clock_(clock) {}
  void set(FaultSet f);  // replaces the whole set
  FaultSet get() const;
  uint64_t generation() const { return gen_.load(std::memory_order_acquire); }
  // True while a refuse_for window is open.
  bool refusing() const;
  // A connection reached stall_after: may it stall? True for every
  // connection, or for the first C since the set was installed.
  bool claim_stall();
  // True while "unavailable" is set (read on every request: no lock).
  bool unavailable() const { return unavailable_.load(std::memory_order_acquire); }
  bool token_unavailable() const { return token_unavailable_.load(std::memory_order_acquire); }

 private:
  const Clock& clock_;
  mutable std::mutex mu_;
  FaultSet set_;
  int64_t refuse_until_ns_ = 0;
  uint32_t stalls_claimed_ = 0;
  std::atomic<uint64_t> gen_{0};
  std::atomic<bool> unavailable_{false};
  std::atomic<bool> token_unavailable_{false};
};

}  // namespace pushgw::sim
