// Base64 (RFC 4648): the URL-safe alphabet without padding, as JWTs use it, and the standard one
// with padding, as SCRAM uses it. Decoding refuses anything that is not canonical output of the
// matching encoder (wrong alphabet, bad length, padding where none belongs).
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace sk::auth {

std::string base64url_encode(std::string_view bytes);
std::optional<std::string> base64url_decode(std::string_view text);

std::string base64_encode(std::string_view bytes);
std::optional<std::string> base64_decode(std::string_view text);

}  // namespace sk::auth
