#include "dispatch/cap_gate.h"

#include "store/store.h"

namespace pushgw::dispatch {

bool CapGate::admit(const SendJob& job, int64_t now_ms) {
  const Batch& b = *job.batch;
  if (!b.marketing || caps_ == nullptr || !caps_->limits().enabled()) return true;
  if (b.cap_override && allow_override_) return true;
  if (b.expires_at_ms > 0 && now_ms >= b.expires_at_ms) return true;
  const std::string& app = apps_[b.app_id].name;
  const std::string_view token = b.token(job.idx);
  if (store_ && store_->check(b.platform, app, token, b.recipients[job.idx].registered_at_ms) ==
                    store::Store::Check::Suppressed)
    return true;
  const uint64_t key = store_ ? store_->key(b.platform, app, token) : store::key_hash({}, b.platform, app, token);
  if (!caps_->admit(key, now_ms)) {
    sink_.finish(job, Status::Capped, "capped");
    return false;
  }
  sink_.record(b, job.idx, store::Kind::MarketingSent, 0, now_ms);
  return true;
}

}  // namespace pushgw::dispatch
