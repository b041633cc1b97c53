// How fast one attacker-chosen (Web Push) origin works off what it is given:
// its HTTP answers per second over its last few busy seconds (seconds with
// jobs held or waiting for it, or requests in flight). UntrustedBacklog
// reads it to decide which of the origin's jobs could still be sent within
// their retry window, and which origin is the slowest to drain.
//
// Only busy time counts, and it is never forgotten while the origin's pool
// lives: an origin idle between two campaigns keeps the rate of its last
// busy seconds (an idle second tells nothing about how fast it answers),
// and one found answering nothing is judged at once when new jobs come
// (not given a fresh grace each time its backlog was shed). An origin that
// recovers is measured again as soon as it has requests in flight (its
// breaker's probes, then its share of the in-flight window).
//
// Answers are counted on the hot path (one increment); the rate is sampled
// by housekeeping at most once a second. Loop thread only.
#pragma once
#include <array>
#include <cstddef>
#include <cstdint>

namespace pushgw::dispatch {

class DrainMeter {
 public:
  // An origin is judged only after this long busy: longer than a connection
  // attempt (connect_timeout_ms, 5 s by default) plus its TLS handshake and
  // first answers, so an origin still connecting is never judged on the
  // answers it could not give yet.
  static constexpr int64_t kJudgeAfterMs = 10'000;
  // The rate is over this many seconds: short enough to follow an origin
  // that stops answering, long enough to smooth a burst of answers.
  static constexpr size_t kRateWindowS = 5;

  void answered() { ++answers_; }
  // Housekeeping (monotonic ms): busy = something held, waiting or in
  // flight. A second is busy when the origin was busy at either end of it.
  void sample(int64_t now_ms, bool busy) {
    if (last_ms_ < 0) {
      last_ms_ = now_ms;
      last_answers_ = answers_;
      was_busy_ = busy;
      return;
    }
    if (now_ms - last_ms_ < 1000) {
      was_busy_ = was_busy_ || busy;
      return;
    }
    if (was_busy_ || busy) {
      busy_ms_ += now_ms - last_ms_;
      busy_answers_ += answers_ - last_answers_;
      push(Sample{busy_ms_, busy_answers_});
    }
    last_ms_ = now_ms;
    last_answers_ = answers_;
    was_busy_ = busy;
  }
  // Observed busy long enough for its rate to say something.
  bool judged() const { return busy_ms_ >= kJudgeAfterMs && n_ >= 2; }
  // Answers per busy second over the last kRateWindowS busy seconds.
  double rate() const { return rate_; }
  // Jobs it answers within ms at its rate.
  double drains_within(int64_t ms) const { return ms > 0 ? rate_ * static_cast<double>(ms) / 1000.0 : 0; }

 private:
  struct Sample {
    int64_t busy_ms = 0;
    uint64_t answers = 0;
  };
  static constexpr size_t kSlots = kRateWindowS + 1;

  void push(Sample x) {
    if (n_ == kSlots) {
      head_ = (head_ + 1) % kSlots;
      --n_;
    }
    samples_[(head_ + n_) % kSlots] = x;
    ++n_;
    const Sample& first = samples_[head_];
    const int64_t ms = x.busy_ms - first.busy_ms;
    rate_ = ms > 0 ? static_cast<double>(x.answers - first.answers) * 1000.0 / static_cast<double>(ms) : 0;
  }

  uint64_t answers_ = 0;       // every answer
  int64_t last_ms_ = -1;       // the last sample (-1: none yet)
  uint64_t last_answers_ = 0;  // answers_ then
  bool was_busy_ = false;      // busy then (or at a look since)
  int64_t busy_ms_ = 0;        // busy time observed
  uint64_t busy_answers_ = 0;  // answers within it
  std::array<Sample, kSlots> samples_{};
  size_t head_ = 0, n_ = 0;
  double rate_ = 0;
};

}  // namespace pushgw::dispatch
