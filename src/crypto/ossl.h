// Internal to the crypto module: RAII aliases for the OpenSSL handles we use
// and one way to turn OpenSSL's thread-local error queue into an Error.
// Other modules do not include it; they see EVP_PKEY via keys.h (and these
// aliases only as P256Checker's private members).
#pragma once
#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/evp.h>

#include <memory>
#include <string>

#include "pushgw/result.h"

namespace pushgw::crypto::detail {

template <auto Fn>
struct Deleter {
  template <class T>
  void operator()(T* p) const {
    Fn(p);
  }
};

using PkeyCtxPtr = std::unique_ptr<EVP_PKEY_CTX, Deleter<EVP_PKEY_CTX_free>>;
using MdCtxPtr = std::unique_ptr<EVP_MD_CTX, Deleter<EVP_MD_CTX_free>>;
using CipherCtxPtr = std::unique_ptr<EVP_CIPHER_CTX, Deleter<EVP_CIPHER_CTX_free>>;
using CipherPtr = std::unique_ptr<EVP_CIPHER, Deleter<EVP_CIPHER_free>>;
using MacPtr = std::unique_ptr<EVP_MAC, Deleter<EVP_MAC_free>>;
using MacCtxPtr = std::unique_ptr<EVP_MAC_CTX, Deleter<EVP_MAC_CTX_free>>;
using BioPtr = std::unique_ptr<BIO, Deleter<BIO_free_all>>;
using EcGroupPtr = std::unique_ptr<EC_GROUP, Deleter<EC_GROUP_free>>;
using EcPointPtr = std::unique_ptr<EC_POINT, Deleter<EC_POINT_free>>;
using BnCtxPtr = std::unique_ptr<BN_CTX, Deleter<BN_CTX_free>>;

// Builds an Error whose message names the failed step plus OpenSSL's reason,
// and empties the thread's error queue: a stale entry left there would be
// misread by a later SSL_get_error() on the same (sender) thread.
// The message never contains key material.
Error ossl_error(std::string code, const char* step);

// Empties the error queue after a failure that we report without details.
inline void clear_errors() { ERR_clear_error(); }

}  // namespace pushgw::crypto::detail
