#include "provider/webpush/webpush_provider.h"

#include <algorithm>
#include <charconv>

#include "base/authority.h"

namespace pushgw::provider {
namespace {

constexpr size_t kP256dh = 65;
constexpr size_t kAuth = 16;

}  // namespace

WebPushProvider::WebPushProvider(crypto::VapidSigner vapid, crypto::EceEncryptor ece)
    : vapid_(std::move(vapid)), ece_(std::move(ece)) {}

Result<std::unique_ptr<WebPushProvider>> WebPushProvider::create(const WebPushSettings& s) {
  auto vapid = crypto::VapidSigner::create(s.vapid_private_key_pem, s.vapid_subject);
  if (!vapid) return vapid.error();
  auto ece = crypto::EceEncryptor::create();
  if (!ece) return ece.error();
  return std::unique_ptr<WebPushProvider>(new WebPushProvider(std::move(*vapid), std::move(*ece)));
}

// The endpoint is re-read with the parser ingest checked it with
// (base/authority.h), per message and without allocating once warm.
std::string_view WebPushProvider::origin(const Batch& b, uint32_t idx) const {
  origin_.clear();
  base::HttpsUrl u;
  if (base::parse_https_url(b.token(idx), u) == base::UrlError::None)
    base::append_authority(origin_, u.authority, /*always_port=*/true);
  return origin_;
}

Result<void> WebPushProvider::build(const Batch& b, uint32_t idx, int64_t now_ms, HttpRequest& req) {
  base::HttpsUrl ep;
  if (base::parse_https_url(b.token(idx), ep) != base::UrlError::None)
    return make_error("bad_subscription", "unusable endpoint URL");
  const uint32_t keys_off = b.recipients[idx].keys_off;
  if (static_cast<size_t>(keys_off) + kP256dh + kAuth > b.arena.size())
    return make_error("bad_subscription", "subscription keys missing");
  const std::string_view p256dh = std::string_view(b.arena).substr(keys_off, kP256dh);
  const std::string_view auth = std::string_view(b.arena).substr(keys_off + kP256dh, kAuth);

  req.authority.clear();
  base::append_authority(req.authority, ep.authority, /*always_port=*/false);
  aud_.assign("https://");
  aud_.append(req.authority);
  req.path.clear();
  if (ep.path.front() != '/') req.path.push_back('/');  // "https://host?q" -> "/?q"
  req.path.append(ep.path);

  payload_.clear();
  b.tmpl.render(b.var_view(idx), payload_);
  // Ingest accepted this p256dh with P256Checker (every Batch is built by
  // ingest, and is immutable once queued), so the point is not checked again.
  if (auto enc = ece_.encrypt_validated(payload_, p256dh, auth, req.body); !enc) return enc.error();

  const std::string& vapid = vapid_.authorization(aud_, now_ms);
  if (vapid.empty()) return make_error("vapid_failed", "VAPID signing failed");

  // What is left of the message's life: a retry does not extend it.
  int64_t left_s = b.webpush.ttl < 0 ? int64_t{0} : b.webpush.ttl;
  if (b.expires_at_ms > 0 && left_s > 0) left_s = std::clamp<int64_t>((b.expires_at_ms - now_ms + 999) / 1000, 0, left_s);
  char ttl[24];
  auto r = std::to_chars(ttl, ttl + sizeof ttl, left_s);
  req.add_header("ttl", std::string_view(ttl, static_cast<size_t>(r.ptr - ttl)));
  if (!b.webpush.urgency.empty()) req.add_header("urgency", b.webpush.urgency);
  if (!b.webpush.topic.empty()) req.add_header("topic", b.webpush.topic);
  req.add_header("content-encoding", "aes128gcm");
  req.add_header("content-type", "application/octet-stream");
  req.add_header("authorization", vapid);
  return ok();
}

Verdict WebPushProvider::classify(const HttpResponse& resp, int64_t now_ms) const {
  return classify_webpush(resp.status, resp.body, resp.header("location"), resp.header("retry-after"), now_ms);
}

}  // namespace pushgw::provider
