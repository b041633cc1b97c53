#include "crypto/p256_checker.h"

#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/obj_mac.h>

namespace pushgw::crypto {

P256Checker::P256Checker()
    : group_(EC_GROUP_new_by_curve_name(NID_X9_62_prime256v1)),
      point_(group_ ? EC_POINT_new(group_.get()) : nullptr),
      bn_(BN_CTX_new()) {}

bool P256Checker::valid_uncompressed(std::string_view pt) const {
  if (pt.size() != 65 || static_cast<unsigned char>(pt[0]) != 0x04) return false;
  if (point_ == nullptr || bn_ == nullptr) return false;
  // oct2point rejects coordinates >= p and points off the curve.
  int ok = EC_POINT_oct2point(group_.get(), point_.get(), reinterpret_cast<const unsigned char*>(pt.data()),
                              pt.size(), bn_.get());
  if (ok != 1) {
    ERR_clear_error();  // a stale error would confuse a later TLS call on this thread
    return false;
  }
  return EC_POINT_is_at_infinity(group_.get(), point_.get()) == 0 &&
         EC_POINT_is_on_curve(group_.get(), point_.get(), bn_.get()) == 1;
}

}  // namespace pushgw::crypto
