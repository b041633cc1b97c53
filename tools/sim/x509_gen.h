// Certificate minting for `gen-ca` and the bad_tls fault: a CA, a server
// certificate it signs (SAN IP:127.0.0.1, DNS:localhost), and a self-signed
// server certificate that no test trusts. All PEM text in and out.
#pragma once
#include <openssl/types.h>

#include <string>
#include <string_view>

#include "pushgw/result.h"

namespace pushgw::sim {

// Errors: "cert_failed".
Result<std::string> make_ca_cert(EVP_PKEY* ca_key, std::string_view common_name, int days);
Result<std::string> make_server_cert(EVP_PKEY* server_key, std::string_view ca_cert_pem, EVP_PKEY* ca_key,
                                     int days);
Result<std::string> make_self_signed_server_cert(EVP_PKEY* key, int days);

}  // namespace pushgw::sim
