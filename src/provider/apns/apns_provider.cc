#include "provider/apns/apns_provider.h"

#include <charconv>

#include "crypto/apns_token.h"
#include "provider/common/make_verdict.h"

namespace pushgw::provider {

std::string apns_default_authority(std::string_view environment) {
  return environment == "sandbox" ? "api.sandbox.push.apple.com:443" : "api.push.apple.com:443";
}

ApnsProvider::ApnsProvider(ApnsSettings s) : settings_(std::move(s)) {}

void ApnsProvider::begin_drain(int64_t now_ms) {
  auto t = settings_.tokens->token(now_ms);
  if (t != token_) {
    token_ = std::move(t);
    ++token_gen_;
    auth_header_.assign("bearer ");
    if (token_) auth_header_.append(*token_);
  }
}

CredentialRetry ApnsProvider::credential_rejected(const HttpRequest& req, int64_t now_ms) {
  std::string_view sent = req.header("authorization");
  if (sent.size() > 7) sent.remove_prefix(7);  // "bearer "
  using R = crypto::ApnsTokenSource::Rejection;
  const R r = settings_.tokens->rejected(sent, now_ms);
  begin_drain(now_ms);
  switch (r) {
    case R::Replaced: return CredentialRetry::Resend;
    case R::Refused: return CredentialRetry::Fail;
    case R::RefusedFirst: return CredentialRetry::FailFirst;
    case R::Unavailable: break;
  }
  return CredentialRetry::Backoff;
}

namespace {
void append_int(std::string& out, int64_t v) {
  char buf[24];
  auto r = std::to_chars(buf, buf + sizeof buf, v);
  out.append(buf, r.ptr);
}

bool same_options(const ApnsOptions& a, const ApnsOptions& b) {
  return a.priority == b.priority && a.expiration == b.expiration && a.topic == b.topic &&
         a.push_type == b.push_type && a.collapse_id == b.collapse_id;
}
}  // namespace

void ApnsProvider::add_headers(HeaderList& out, const ApnsOptions& o) const {
  out.add_header("authorization", auth_header_);
  out.add_header("apns-topic", o.topic.empty() ? settings_.default_topic : o.topic);
  if (!o.push_type.empty()) out.add_header("apns-push-type", o.push_type);
  if (o.priority >= 0 || o.expiration >= 0) {
    std::string num;
    if (o.priority >= 0) {
      append_int(num, o.priority);
      out.add_header("apns-priority", num);
    }
    if (o.expiration >= 0) {
      num.clear();
      append_int(num, o.expiration);
      out.add_header("apns-expiration", num);
    }
  }
  if (!o.collapse_id.empty()) out.add_header("apns-collapse-id", o.collapse_id);
  out.add_header("content-type", "application/json");
}

Result<void> ApnsProvider::build(const Batch& b, uint32_t idx, int64_t, HttpRequest& req) {
  if (!token_) return make_error("credential_unavailable", "no APNs provider token");
  req.authority = settings_.authority;
  req.path.assign("/3/device/");
  req.path.append(b.token(idx));
  const ApnsOptions& o = b.apns;
  const auto* block = shared_.find_or_fill(
      [&](const HeaderKey& k) { return k.token_gen == token_gen_ && same_options(k.options, o); },
      [&](HeaderList& list, HeaderKey& k) {
        add_headers(list, o);
        k.token_gen = token_gen_;
        k.options = o;
      });
  if (block != nullptr) req.shared = *block;
  else add_headers(req, o);  // every block held by requests of other batches
  b.tmpl.render(b.var_view(idx), req.body);
  return ok();
}

Verdict ApnsProvider::classify(const HttpResponse& resp, int64_t now_ms) const {
  return classify_apns(resp.status, resp.body, resp.header("apns-id"), resp.header("retry-after"), now_ms);
}

// classify_apns's 200 case without a fresh Verdict: its apns-id (36 bytes,
// past the short-string buffer) would be a heap allocation per response.
void ApnsProvider::classify_into(const HttpResponse& resp, int64_t now_ms, Verdict& out) const {
  if (resp.status != 200) {
    out = classify(resp, now_ms);
    return;
  }
  reset_verdict(out, VerdictKind::Delivered, 200, "");
  out.id.assign(resp.header("apns-id"));
}

}  // namespace pushgw::provider
