#include "dispatch/thread_apps.h"

namespace pushgw::dispatch {

ThreadApps::ThreadApps(std::shared_ptr<const AppTable> apps) { update(std::move(apps)); }

void ThreadApps::update(std::shared_ptr<const AppTable> next) {
  if (!next) return;
  const size_t old = providers_.size();
  apps_ = std::move(next);
  providers_.resize(apps_->size());
  for (size_t i = old; i < apps_->size(); ++i) providers_[i] = (*apps_)[i].make_provider();
}

void ThreadApps::begin_drain(int64_t now_ms) {
  for (auto& p : providers_)
    if (p) p->begin_drain(now_ms);
}

}  // namespace pushgw::dispatch
