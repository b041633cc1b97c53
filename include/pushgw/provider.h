// A provider is pure: it knows the wire format and the error table of one
// push service and does no I/O. Dispatch creates one instance per sender
// thread per app, so an instance needs no locks for its own caches; shared
// credentials (APNs provider token, FCM access token) come through thread-safe
// sources that the instance reads at most once per batch drain.
#pragma once
#include <cstdint>
#include <string_view>

#include "pushgw/http.h"
#include "pushgw/job.h"
#include "pushgw/result.h"
#include "pushgw/verdict.h"

namespace pushgw {

// What dispatch does with a request whose credential the provider rejected.
enum class CredentialRetry : uint8_t {
  Backoff,    // retry as a transient failure (uses up an attempt)
  Resend,     // a new credential is in place: send again at once without using up an attempt
  Fail,       // a credential renewed moments ago was rejected too: fail the request (no loop)
  FailFirst,  // Fail, and the first such report for this credential: log the likely cause once
};

class Provider {
 public:
  virtual ~Provider() = default;
  virtual Platform platform() const = 0;

  // Origin ("host:port") the recipient's request goes to; the pool key.
  virtual std::string_view origin(const Batch& b, uint32_t idx) const = 0;

  // Fills req (already cleared) for recipient idx. An error fails this
  // recipient only (code becomes the result reason), without any I/O.
  virtual Result<void> build(const Batch& b, uint32_t idx, int64_t now_ms, HttpRequest& req) = 0;

  // Reads a response. Must not throw; tolerates any bytes in the body.
  // now_ms resolves an HTTP-date Retry-After.
  virtual Verdict classify(const HttpResponse& resp, int64_t now_ms) const = 0;
  // The same answer written into a Verdict the caller keeps, so that its
  // strings' capacity can be reused (no allocation per response once warm,
  // in providers that override it).
  virtual void classify_into(const HttpResponse& resp, int64_t now_ms, Verdict& out) const {
    out = classify(resp, now_ms);
  }

  // Called once before a drained batch is built: read shared credentials
  // (one atomic/mutex touch per batch, not per recipient).
  virtual void begin_drain(int64_t /*now_ms*/) {}

  // False while build() can only fail with "credential_unavailable" (FCM:
  // no access token yet), as read by the last begin_drain(). The sender then
  // parks the job before asking the store, the pools or the breaker.
  virtual bool credential_ready() const { return true; }

  // A response to req said its credential was rejected (APNs
  // ExpiredProviderToken, FCM 401): get a new one, within the provider's
  // refresh rules, and say what to do with the request. req is the request
  // as sent (the credential it carried is in its headers).
  virtual CredentialRetry credential_rejected(const HttpRequest& /*req*/, int64_t /*now_ms*/) {
    return CredentialRetry::Backoff;
  }
};

}  // namespace pushgw
