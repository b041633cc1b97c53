// base64url (RFC 4648 §5) without padding, as JWT and Web Push use it, and hex.
#pragma once
#include <optional>
#include <string>
#include <string_view>

namespace pushgw::base {

std::string base64url_encode(std::string_view bytes);
void base64url_encode_append(std::string_view bytes, std::string& out);
// Accepts input with or without '=' padding; rejects any other character.
std::optional<std::string> base64url_decode(std::string_view text);
// Standard base64 (with + / and padding), for PEM-ish data and Basic auth.
std::optional<std::string> base64_decode(std::string_view text);

std::string hex_encode(std::string_view bytes);
std::optional<std::string> hex_decode(std::string_view text);
bool is_hex(std::string_view text);

}  // namespace pushgw::base
