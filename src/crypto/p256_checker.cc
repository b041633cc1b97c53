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
  // The whole check is oct2point's: it rejects coordinates >= p, and it
  // sets the point through EC_POINT_set_affine_coordinates, which refuses
  // a point off the curve (OpenSSL 3; the unit tests pin this down with an
  // off-curve point). An uncompressed encoding cannot denote infinity, and
  // P-256 has cofactor 1, so a decoded point is a valid public key. A second
  // EC_POINT_is_on_curve here would repeat the check (~2.8k instructions).
  if (EC_POINT_oct2point(group_.get(), point_.get(), reinterpret_cast<const unsigned char*>(pt.data()),
                         pt.size(), bn_.get()) != 1) {
    ERR_clear_error();  // a stale error would confuse a later TLS call on this thread
    return false;
  }
  return true;
}

}  // namespace pushgw::crypto
