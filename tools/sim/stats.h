// Counters and delivery records behind GET /stats and GET /tokens.
//
// Counters are relaxed atomics (bumped on the request path of every worker
// thread); the delivery records (key → number of accepted deliveries) are a
// map behind one mutex. Both are cleared by POST /reset.
#pragma once
#include <array>
#include <atomic>
#include <cstdint>
#include <functional>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>

namespace pushgw::sim {

enum class Platform { kApns = 0, kFcm = 1, kWebPush = 2 };
inline constexpr int kPlatforms = 3;
bool parse_platform(std::string_view s, Platform& out);

using Counter = std::atomic<uint64_t>;
inline void bump(Counter& c, uint64_t n = 1) { c.fetch_add(n, std::memory_order_relaxed); }
inline uint64_t load(const Counter& c) { return c.load(std::memory_order_relaxed); }

struct Stats {
  Counter connections_accepted{0};
  Counter connections_refused{0};  // closed at once by refuse_for
  Counter connections_stalled{0};  // went silent by stall_after
  Counter tls_handshakes{0};
  Counter tls_failures{0};
  Counter requests{0};
  std::array<Counter, 600> by_status{};
  struct {
    // jwts_accepted: distinct provider tokens that verified (a client's
    // signatures); jwt_rejections: requests refused by a reject_jwt fault.
    // wrong_topic: requests answered DeviceTokenNotForTopic because --apns-topic did not list their topic.
    Counter requests{0}, jwt_verifications{0}, jwts_accepted{0}, jwt_rejections{0}, wrong_topic{0};
  } apns;
  struct {
    Counter token_requests{0}, tokens_issued{0}, requests{0};
  } fcm;
  struct {
    Counter requests{0}, vapid_verifications{0}, decrypt_failures{0};
  } webpush;
  Counter max_concurrent_streams_seen{0};  // per connection, max over all
  Counter refused_streams{0};              // RST_STREAM(REFUSED_STREAM) sent
  Counter goaways_sent{0};
  // Streams a client opened beyond a lowered MAX_CONCURRENT_STREAMS after it
  // had acknowledged the SETTINGS (RFC 9113 5.1.2: a protocol violation).
  Counter settings_violations{0};
  Counter unavailable_answers{0};  // sends answered 503 by the "unavailable" fault

  void count_status(int status) {
    if (status >= 0 && status < static_cast<int>(by_status.size())) bump(by_status[status]);
  }
  void note_concurrency(uint64_t n);
  void reset();
};

// Accepted deliveries per recipient key (APNs token, FCM token or
// "/topics/<t>" / "condition:<c>", Web Push endpoint URL).
//
// In --sink mode (per_key = false) only the totals are counted. A benchmark
// sink must do no per-recipient work: h2load repeats one path while a gateway
// sends distinct tokens, so a per-key map would be paid by the gateway's run
// alone (a 300,000-entry map: ~1.5 us per request in cache misses, rehashes
// and key copies, against ~0 for h2load's one key).
class DeliveryRecords {
 public:
  explicit DeliveryRecords(bool per_key = true) : per_key_(per_key) {}
  bool per_key() const { return per_key_; }
  void record(Platform p, std::string_view key);
  struct Summary {
    uint64_t delivered = 0;
    uint64_t distinct = 0;  // 0 without per-key records
  };
  Summary summary(Platform p) const;
  // {"key":count,...}
  std::string to_json(Platform p) const;
  void clear();

 private:
  struct Hash {
    using is_transparent = void;
    size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
  };
  using Map = std::unordered_map<std::string, uint64_t, Hash, std::equal_to<>>;
  const bool per_key_;
  std::array<Counter, kPlatforms> delivered_{};
  mutable std::mutex mu_;  // guards maps_
  std::array<Map, kPlatforms> maps_;
};

// The GET /stats document.
std::string render_stats_json(const Stats& s, const DeliveryRecords& r);

}  // namespace pushgw::sim
