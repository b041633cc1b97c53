// Checks that a Web Push p256dh key is a valid uncompressed P-256 point, so a
// bad subscription is rejected at ingest instead of failing in every sender.
// One checker per notification: it holds the curve and scratch space, is not
// thread-safe, and performs no allocation per check.
#pragma once
#include <string_view>

#include "crypto/ossl.h"

namespace pushgw::crypto {

class P256Checker {
 public:
  P256Checker();
  P256Checker(const P256Checker&) = delete;
  P256Checker& operator=(const P256Checker&) = delete;

  // 65 bytes: 0x04 || X || Y with (X, Y) on the curve (not infinity).
  bool valid_uncompressed(std::string_view pt) const;

 private:
  detail::EcGroupPtr group_;
  detail::EcPointPtr point_;
  detail::BnCtxPtr bn_;
};

}  // namespace pushgw::crypto
