// OpenSSL reports failures through a thread-local error queue. Whoever sees
// a failure must empty it: a stale entry would be misread by a later
// SSL_get_error() on the same thread (a sender loop runs many connections).
#pragma once
#include <string>

namespace pushgw::crypto {

// Empties this thread's OpenSSL error queue and returns its entries, oldest
// first, as "error:...; error:..." ("" when the queue was empty). OpenSSL's
// texts name library, function and reason; they never hold key material.
std::string drain_openssl_errors();

}  // namespace pushgw::crypto
