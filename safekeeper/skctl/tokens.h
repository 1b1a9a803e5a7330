// skctl's tokens: `token keygen` (an Ed25519 key pair on disk), `token issue` (a signed token,
// auth/token.h).
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>

#include "consensus/result.h"

namespace sk::skctl {

// Writes `dir`/private.pem (mode 0600) and `dir`/public.pem (0644), creating `dir` (0700) if
// needed; refuses to overwrite either file. Returns the two paths, one per line.
Result<std::string> make_key_pair(const std::filesystem::path& dir);

// A token for `scope` (auth::parse_scope), valid for `ttl` (a duration: 90s, 24h, 30d) from
// `now_unix`, signed with the private key at `key_file`.
Result<std::string> issue_token(const std::string& scope, const std::filesystem::path& key_file,
                                const std::string& ttl, const std::string& subject,
                                std::int64_t now_unix);

// Where the programs skctl starts find `token`: `given` (--token-file, made absolute) if any,
// else `home`/token, written (0600) with the token of SKCTL_TOKEN. Empty for no token.
Result<std::string> token_file_for_children(const std::string& given,
                                            const std::filesystem::path& home,
                                            const std::string& token);

}  // namespace sk::skctl
