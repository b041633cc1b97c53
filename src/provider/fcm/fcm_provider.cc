#include "provider/fcm/fcm_provider.h"

#include "base/ascii.h"
#include "base/json_escape.h"

namespace pushgw::provider {
namespace {

std::string_view target_key(FcmOptions::Target t) {
  switch (t) {
    case FcmOptions::Target::Topic: return "topic";
    case FcmOptions::Target::Condition: return "condition";
    case FcmOptions::Target::Token: break;
  }
  return "token";
}

}  // namespace

FcmProvider::FcmProvider(FcmSettings s) : settings_(std::move(s)) {
  path_.assign("/v1/projects/");
  // Google project ids are [a-z0-9-]; anything else is escaped rather than
  // trusted into the request path.
  base::percent_encode_append(path_, settings_.project_id);
  path_.append("/messages:send");
}

void FcmProvider::begin_drain(int64_t) {
  auto t = settings_.tokens ? settings_.tokens->token() : nullptr;
  if (t == token_) return;
  token_ = std::move(t);
  ++token_gen_;
  auth_header_.assign("Bearer ");
  if (token_) auth_header_.append(*token_);
}

CredentialRetry FcmProvider::credential_rejected(const HttpRequest& req, int64_t now_ms) {
  // invalidate() ignores a token that is no longer current (an older one).
  std::string_view sent = req.header("authorization");
  if (sent.size() > 7 && settings_.tokens) settings_.tokens->invalidate(std::string(sent.substr(7)));  // "Bearer "
  begin_drain(now_ms);
  return CredentialRetry::Backoff;
}

// Body: {"message":{"token":"<target>",<members of the rendered message>}}.
// The target is written first and the rendered object's opening brace is
// overwritten with a comma, so the message is rendered straight into the
// body with no copy or shift.
Result<void> FcmProvider::build(const Batch& b, uint32_t idx, int64_t, HttpRequest& req) {
  if (!token_) return make_error("credential_unavailable", "no FCM access token yet");
  req.authority.assign(settings_.authority);
  req.path.assign(path_);
  auto add_headers = [this](HeaderList& out) {
    out.add_header("authorization", auth_header_);
    out.add_header("content-type", "application/json");
  };
  const auto* block = shared_.find_or_fill([this](uint64_t gen) { return gen == token_gen_; },
                                           [&](HeaderList& list, uint64_t& gen) {
                                             add_headers(list);
                                             gen = token_gen_;
                                           });
  if (block != nullptr) req.shared = *block;
  else add_headers(req);  // every block held by requests sent with older tokens

  std::string& body = req.body;
  body.assign(R"({"message":{")");
  body.append(target_key(b.fcm.target));
  body.append(R"(":")");
  base::json_escape_append(b.token(idx), body);
  body.push_back('"');
  const size_t at = body.size();
  b.tmpl.render(b.var_view(idx), body);
  if (at >= body.size() || body[at] != '{') {
    body.clear();
    return make_error("bad_request", "FCM message is not a JSON object");
  }
  size_t next = at + 1;
  while (next < body.size() && (body[next] == ' ' || body[next] == '\n' || body[next] == '\r' || body[next] == '\t'))
    ++next;
  if (next < body.size() && body[next] == '}') {  // empty message: {"token":"..."}
    body.resize(at);
    body.append("}}");
  } else {
    body[at] = ',';
    body.push_back('}');
  }
  return ok();
}

Verdict FcmProvider::classify(const HttpResponse& resp, int64_t now_ms) const {
  return reader_.classify(resp.status, resp.body, resp.header("retry-after"), now_ms);
}

void FcmProvider::classify_into(const HttpResponse& resp, int64_t now_ms, Verdict& out) const {
  reader_.classify_into(resp.status, resp.body, resp.header("retry-after"), now_ms, out);
}

}  // namespace pushgw::provider
