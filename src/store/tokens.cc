#include "store/tokens.h"

#include <algorithm>

#include "store/backend.h"
#include "store/suppression.h"
#include "store/writer.h"

namespace pushgw::store {

namespace {
constexpr uint32_t kDefaultPage = 1000;
constexpr uint32_t kMaxPage = 10000;
}  // namespace

void Tokens::feedback(uint64_t since, uint32_t limit, std::function<void(Result<FeedbackPage>)> cb) {
  limit = std::min(limit == 0 ? kDefaultPage : limit, kMaxPage);
  writer_.submit_durable([since, limit, cb = std::move(cb)](detail::Backend& db) { cb(db.feedback(since, limit)); });
}

void Tokens::token(Platform p, std::string app, std::string token, std::function<void(Result<TokenState>)> cb) {
  detail::PendingSends* sends = &writer_.sends();
  writer_.submit([p, sends, app = std::move(app), token = std::move(token), cb = std::move(cb)](detail::Backend& db) {
    auto r = db.token(p, app, token);
    if (r) sends->merge_into(*r, p, app, token);
    cb(std::move(r));
  });
}

void Tokens::forget(Platform p, std::string app, std::string token, std::function<void(Result<bool>)> cb) {
  set_.erase(key_hash(key_, p, app, token));
  detail::Counters* c = &counters_;
  detail::PendingSends* sends = &writer_.sends();
  writer_.submit([p, c, sends, app = std::move(app), token = std::move(token), cb = std::move(cb)](detail::Backend& db) {
    // Sends recorded before the forget must not bring the row back at the
    // next flush or compaction; a token known only from them had a
    // (pending) row too.
    bool logged = false;
    const bool pending = sends->erase(p, app, token);
    auto r = sends->log().forget(db, p, app, token, logged);
    if (!r) {
      cb(r.error());
      return;
    }
    if (r->has_value()) {
      detail::TxnDelta d;
      d.tokens = -1;
      d.add_state(**r, -1);
      c->apply(d);
    }
    cb(r->has_value() || pending || logged);
  });
}

}  // namespace pushgw::store
