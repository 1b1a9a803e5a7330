// Tokens: JSON Web Tokens (RFC 7519) in compact form, signed with EdDSA over Ed25519 (RFC 8037),
// as `skctl token issue` makes them. Header {"alg":"EdDSA","typ":"JWT"}; claims
// {"scope": Grant::scope_text(), "exp": unix seconds, "iat": unix seconds, "sub"?: text}.
// No other algorithm is accepted (no "none", no HMAC), so a forged header cannot downgrade it.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>

#include "consensus/result.h"
#include "safekeeper/auth/grant.h"
#include "safekeeper/auth/keys.h"

namespace sk::auth {

// Longest token read; a peer cannot make us decode more.
inline constexpr std::size_t kMaxTokenBytes = 4096;

// A token for `grant` (its expires_at and subject included), issued at `now` (unix seconds).
std::string issue_token(const Grant& grant, const PrivateKey& key, std::int64_t now);

// The grant of a token signed by one of `keys` and not expired at `now`. kUnauthenticated with
// the reason otherwise: not a JWT, another algorithm, a bad signature, expired, not yet valid,
// or claims that are missing or malformed.
Result<Grant> verify_token(std::string_view token, const PublicKeys& keys, std::int64_t now);

// The token in `file`, surrounding white space removed (how --token-file and --auth-token-file
// are read); kInvalidArgument if it cannot be read or is empty.
Result<std::string> read_token_file(const std::filesystem::path& file);

}  // namespace sk::auth
