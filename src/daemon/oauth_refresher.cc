#include "daemon/oauth_refresher.h"

#include <algorithm>

#include "base/authority.h"
#include "crypto/jwt.h"
#include "daemon/apps.h"
#include "provider/fcm/fcm_token_source.h"

namespace pushgw::daemon {

namespace {
constexpr int64_t kTickMs = 200;
constexpr const char* kScope = "https://www.googleapis.com/auth/firebase.messaging";
}  // namespace

struct OAuthRefresher::Entry {
  FcmCredential acct;
  std::string authority;  // host:port of token_uri
  std::string path;
  std::unique_ptr<pool::Pool> pool;
  HttpRequest req;
  HttpResponse resp;
  bool in_flight = false;
  int failures_in_row = 0;
  int64_t not_before_ms = 0;  // backoff after a failed fetch
};

OAuthRefresher::OAuthRefresher(uv_loop_t* loop, std::shared_ptr<net::TlsContext> tls, const Clock& clock,
                               obs::Logger log, int connect_timeout_ms, int request_timeout_ms)
    : loop_(loop),
      tls_(std::move(tls)),
      clock_(clock),
      log_(std::move(log)),
      connect_timeout_ms_(connect_timeout_ms),
      request_timeout_ms_(request_timeout_ms),
      timer_(loop, [this] { tick(); }) {}

OAuthRefresher::~OAuthRefresher() = default;

Result<void> OAuthRefresher::add(const FcmCredential& account) {
  auto e = std::make_unique<Entry>();
  base::HttpsUrl url;
  if (base::UrlError err = base::parse_https_url(account.token_uri, url); err != base::UrlError::None)
    return make_error("bad_config", "fcm app '" + account.app + "': token_uri " + std::string(base::describe(err)));
  base::append_authority(e->authority, url.authority, /*always_port=*/true);
  e->path.assign(url.path);
  pool::PoolOptions o;
  o.host.assign(url.authority.host);
  o.port = url.authority.port;
  o.max_connections = 1;
  o.allow_http1 = true;  // Google's token endpoint may answer over either
  o.connect_timeout_ms = connect_timeout_ms_;
  o.request_timeout_ms = request_timeout_ms_;
  o.idle_timeout_ms = 60'000;
  e->pool = pool::make_h2_pool(loop_, tls_, std::move(o), *this, clock_, obs::Logger(log_.sink(), "oauth"));
  e->acct = account;
  entries_.push_back(std::move(e));
  return ok();
}

void OAuthRefresher::start() {
  tick();
  timer_.start(kTickMs, kTickMs);
}

void OAuthRefresher::tick() {
  const int64_t now = clock_.now_ms();
  for (auto& e : entries_)
    if (!e->in_flight && now >= e->not_before_ms && e->acct.source->needs_refresh(now)) fetch(*e);
}

void OAuthRefresher::fetch(Entry& e) {
  const int64_t now = clock_.now_ms();
  auto assertion = crypto::google_assertion(e.acct.key->get(), e.acct.client_email, kScope, e.acct.token_uri, now / 1000);
  if (!assertion.ok()) {
    failures_.fetch_add(1, std::memory_order_relaxed);
    PGW_LOG(log_, Error, "fcm app '%s': cannot sign the OAuth assertion: %s", e.acct.app.c_str(),
            assertion.error().message.c_str());
    e.not_before_ms = now + 30'000;
    return;
  }
  e.req.clear();
  e.resp.clear();
  e.req.authority = e.authority;
  e.req.path = e.path;
  e.req.add_header("content-type", "application/x-www-form-urlencoded");
  e.req.body = provider::FcmTokenSource::token_request_body(assertion.value());
  e.in_flight = true;
  fetches_.fetch_add(1, std::memory_order_relaxed);
  e.pool->submit(&e.req, &e.resp, &e);
  e.pool->flush();
}

void OAuthRefresher::on_complete(void* user, HttpRequest&, HttpResponse& resp, pool::TransportError err, uint32_t) {
  auto* e = static_cast<Entry*>(user);
  e->in_flight = false;
  const int64_t now = clock_.now_ms();
  std::string why;
  if (err != pool::TransportError::None) {
    why = std::string(pool::to_string(err));
  } else {
    auto parsed = provider::FcmTokenSource::parse_token_response(resp.status, resp.body, now);
    if (parsed.ok()) {
      e->acct.source->set(std::move(parsed.value().first), parsed.value().second, now);
      e->failures_in_row = 0;
      PGW_LOG(log_, Info, "fcm app '%s': access token refreshed", e->acct.app.c_str());
      if (on_token_) on_token_();
      return;
    }
    why = parsed.error().message;
  }
  failures_.fetch_add(1, std::memory_order_relaxed);
  ++e->failures_in_row;
  // Exponential backoff with full jitter, 0.5 s doubling up to 60 s.
  int64_t ceiling = std::min<int64_t>(60'000, int64_t{500} << std::min(e->failures_in_row, 7));
  e->not_before_ms = now + static_cast<int64_t>(std::uniform_real_distribution<double>(0, 1)(rng_) * ceiling);
  PGW_LOG(log_, Warn, "fcm app '%s': token fetch failed (%s); retrying", e->acct.app.c_str(), why.c_str());
}

void OAuthRefresher::close(std::function<void()> done) {
  timer_.close();
  auto remaining = std::make_shared<size_t>(entries_.size() + 1);
  auto step = [remaining, done] {
    if (--*remaining == 0 && done) done();
  };
  for (auto& e : entries_) e->pool->shutdown(true, step);
  step();
}

}  // namespace pushgw::daemon
