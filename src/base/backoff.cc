#include "base/backoff.h"

#include <algorithm>
#include <memory>
#include <random>

namespace pushgw::base {

Backoff::Backoff(BackoffOptions opts, Rng rng, const Clock& clock)
    : opts_(opts), rng_(std::move(rng)), clock_(clock) {
  opts_.base_ms = std::max<int64_t>(1, opts_.base_ms);
  opts_.cap_ms = std::max(opts_.base_ms, opts_.cap_ms);
}

void Backoff::on_success() {
  failures_ = 0;
  ready_at_ms_ = 0;
}

void Backoff::on_failure() {
  ++failures_;
  ready_at_ms_ = now_ms() + next_delay();
}

int64_t Backoff::next_delay() {
  if (failures_ == 0) return 0;
  // base * 2^(n-1), saturating at cap without overflowing.
  int64_t ceiling = opts_.base_ms;
  for (int i = 1; i < failures_ && ceiling < opts_.cap_ms; ++i) ceiling *= 2;
  ceiling = std::min(ceiling, opts_.cap_ms);
  return static_cast<int64_t>(rng_() % static_cast<uint64_t>(ceiling + 1));
}

int64_t Backoff::remaining_ms() const {
  if (ready_at_ms_ == 0) return 0;
  return std::max<int64_t>(0, ready_at_ms_ - now_ms());
}

Backoff::Rng make_default_rng() {
  auto engine = std::make_shared<std::mt19937_64>(std::random_device{}());
  return [engine] { return (*engine)(); };
}

}  // namespace pushgw::base
