#include "dispatch/circuit_breaker.h"

#include <algorithm>

namespace pushgw::dispatch {

CircuitBreaker::CircuitBreaker(BreakerOptions opts, const Clock& clock, std::function<double()> rand01)
    : o_(opts), clock_(clock), rand01_(std::move(rand01)) {
  o_.window = std::clamp(o_.window, 1, 64);
  o_.min_samples = std::clamp(o_.min_samples, 1, o_.window);
  o_.consecutive_failures = std::max(1, o_.consecutive_failures);
  o_.cooldown_ms = std::max<int64_t>(1, o_.cooldown_ms);
  o_.max_cooldown_ms = std::max(o_.cooldown_ms, o_.max_cooldown_ms);
  o_.jitter = std::clamp(o_.jitter, 0.0, 1.0);
}

CircuitBreaker::Admit CircuitBreaker::admit() {
  switch (state_) {
    case State::Closed:
      return Admit::Send;
    case State::HalfOpen:
      return Admit::Hold;
    case State::Open:
      if (now_ms() < probe_at_ms_) return Admit::Hold;
      state_ = State::HalfOpen;
      return Admit::Probe;
  }
  return Admit::Send;
}

void CircuitBreaker::on_success(bool) {
  if (state_ != State::Closed) {
    close();
    return;
  }
  record(false);
}

void CircuitBreaker::on_failure(bool probe) {
  if (state_ == State::HalfOpen && probe) {
    trip();
    return;
  }
  if (state_ != State::Closed) return;  // already open: a straggler from before
  record(true);
  const int fails = __builtin_popcountll(outcomes_ & (o_.window == 64 ? ~0ULL : ((1ULL << o_.window) - 1)));
  const bool ratio = samples_ >= o_.min_samples &&
                     static_cast<double>(fails) >= o_.failure_ratio * static_cast<double>(samples_);
  if (consecutive_ >= o_.consecutive_failures || ratio) trip();
}

void CircuitBreaker::on_probe_inconclusive() {
  // Back to Open with the probe time already reached: the next admit() probes.
  if (state_ == State::HalfOpen) {
    state_ = State::Open;
    probe_at_ms_ = now_ms();
  }
}

int64_t CircuitBreaker::remaining_ms() const {
  if (state_ != State::Open) return 0;
  return std::max<int64_t>(0, probe_at_ms_ - now_ms());
}

void CircuitBreaker::record(bool failure) {
  outcomes_ = (outcomes_ << 1) | (failure ? 1 : 0);
  samples_ = std::min(samples_ + 1, o_.window);
  consecutive_ = failure ? consecutive_ + 1 : 0;
}

void CircuitBreaker::trip() {
  state_ = State::Open;
  ++opens_total_;
  const int shift = std::min(open_streak_, 20);
  ++open_streak_;
  const int64_t cooldown = std::min(o_.max_cooldown_ms, o_.cooldown_ms << shift);
  // Jitter spreads the probes of many senders/origins that failed together.
  const double factor = 1.0 - o_.jitter * rand01_();
  probe_at_ms_ = now_ms() + std::max<int64_t>(1, static_cast<int64_t>(static_cast<double>(cooldown) * factor));
}

void CircuitBreaker::close() {
  state_ = State::Closed;
  consecutive_ = 0;
  outcomes_ = 0;
  samples_ = 0;
  open_streak_ = 0;
}

bool OriginGuard::on_response(bool probe) {
  meter_.answered();
  breaker_.on_success(probe);
  return breaker_.state() == CircuitBreaker::State::Closed && !held_.empty();
}

OriginGuard::Settle OriginGuard::settle(pool::TransportError err, uint32_t conn_id, const pool::Pool& pool,
                                        bool probe) {
  using E = pool::TransportError;
  if (err == E::None) return on_response(probe) ? Settle::ReleaseHeld : Settle::Continue;
  on_transport_error(err, conn_id, pool.stats().connect_failures, probe);
  const bool no_connection = err == E::ConnectFailed || err == E::TlsHandshakeFailed ||
                             err == E::TlsVerifyFailed || err == E::NoStreams || err == E::QueueTimeout;
  if (probe && no_connection && breaker_.state() != CircuitBreaker::State::Closed) return Settle::HoldBack;
  return Settle::Continue;
}

void OriginGuard::on_transport_error(pool::TransportError err, uint32_t conn_id, uint64_t pool_connect_failures,
                                     bool probe) {
  using E = pool::TransportError;
  switch (err) {
    // A queue timeout is a failure only through the attempts behind it (a
    // peer that allowed no stream is a failed attempt); on a working but
    // busy origin it opens nothing.
    case E::ConnectFailed:
    case E::TlsHandshakeFailed:
    case E::TlsVerifyFailed:
    case E::NoStreams:
    case E::QueueTimeout: {
      if (err != E::QueueTimeout || last_error_ == E::None) {  // the failure behind a queue timeout names it
        last_reason_.assign(pool::to_string(err));
        last_error_ = err;
      }
      uint64_t attempts = pool_connect_failures > seen_connect_failures_
                              ? pool_connect_failures - seen_connect_failures_
                              : 0;
      seen_connect_failures_ = std::max(seen_connect_failures_, pool_connect_failures);
      if (probe) attempts = std::max<uint64_t>(attempts, 1);
      // A failed probe re-opens at once; further attempts of the same burst
      // find the breaker open and are ignored.
      for (uint64_t i = 0; i < attempts; ++i) breaker_.on_failure(probe);
      return;
    }
    case E::Timeout:
    case E::ConnectionLost:
    case E::Stalled: {
      last_reason_.assign(pool::to_string(err));
      last_error_ = err;
      const int64_t now = clock_.mono_ns() / 1'000'000;
      const bool same_event = conn_id != 0 && conn_id == last_lost_conn_ && now - last_lost_ms_ < 1000;
      if (!same_event) {
        last_lost_conn_ = conn_id;
        last_lost_ms_ = now;
        breaker_.on_failure(probe);
      } else if (probe) {
        breaker_.on_failure(true);
      }
      return;
    }
    default:
      if (probe) breaker_.on_probe_inconclusive();
      return;
  }
}

}  // namespace pushgw::dispatch
