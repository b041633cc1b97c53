// Platforms and final per-recipient statuses, as named by the socket contract.
#pragma once
#include <cstdint>
#include <optional>
#include <string_view>

namespace pushgw {

enum class Platform : uint8_t { Apns = 0, Fcm = 1, WebPush = 2 };
inline constexpr int kPlatformCount = 3;

constexpr std::string_view to_string(Platform p) {
  switch (p) {
    case Platform::Apns: return "apns";
    case Platform::Fcm: return "fcm";
    case Platform::WebPush: return "webpush";
  }
  return "?";
}

inline std::optional<Platform> parse_platform(std::string_view s) {
  if (s == "apns") return Platform::Apns;
  if (s == "fcm") return Platform::Fcm;
  if (s == "webpush") return Platform::WebPush;
  return std::nullopt;
}

// Final status of one recipient (contract: "status"). Capped (a marketing
// send over its frequency cap) and Expired (its expires_at passed before it
// was sent) are campaign-policy extensions: in both cases nothing was sent.
enum class Status : uint8_t { Delivered, Invalid, Unsubscribed, Suppressed, Failed, Capped, Expired };

constexpr std::string_view to_string(Status s) {
  switch (s) {
    case Status::Delivered: return "delivered";
    case Status::Invalid: return "invalid";
    case Status::Unsubscribed: return "unsubscribed";
    case Status::Suppressed: return "suppressed";
    case Status::Failed: return "failed";
    case Status::Capped: return "capped";
    case Status::Expired: return "expired";
  }
  return "?";
}

}  // namespace pushgw
