// One sender thread's view of the app table and its own provider per app
// (providers are per thread, so they need no locks).
//
// A reload appends apps and never renumbers them: update() keeps every
// existing provider (and with it the pools keyed by app id) and creates
// providers for the new ids only. Loop thread only.
#pragma once
#include <cstdint>
#include <memory>
#include <vector>

#include "dispatch/app_table.h"
#include "pushgw/provider.h"

namespace pushgw::dispatch {

class ThreadApps {
 public:
  explicit ThreadApps(std::shared_ptr<const AppTable> apps);

  size_t size() const { return apps_->size(); }
  const AppRuntime& operator[](size_t app_id) const { return (*apps_)[app_id]; }
  const AppTable& table() const { return *apps_; }
  Provider& provider(size_t app_id) { return *providers_[app_id]; }

  void update(std::shared_ptr<const AppTable> next);
  // Once per send pass, before the first request is built: each provider
  // reads its shared credential (one atomic or mutex touch per pass).
  void begin_drain(int64_t now_ms);

 private:
  std::shared_ptr<const AppTable> apps_;
  std::vector<std::unique_ptr<Provider>> providers_;  // by app_id
};

}  // namespace pushgw::dispatch
