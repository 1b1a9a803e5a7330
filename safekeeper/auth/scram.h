// SCRAM-SHA-256 (RFC 5802, RFC 7677) as PostgreSQL's server speaks it (without channel binding:
// the mechanism offered is SCRAM-SHA-256, not -PLUS), for the replication port's password file.
// Passwords are kept as verifiers (PostgreSQL's rolpassword format), never sent over the wire.
// Pure apart from the hashing: the server nonce is given.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "consensus/result.h"

namespace sk::auth {

inline constexpr int kScramIterations = 4096;  // PostgreSQL's scram_iterations default.

struct ScramVerifier {
  int iterations = kScramIterations;
  std::string salt;        // Raw bytes.
  std::string stored_key;  // SHA-256(HMAC(SaltedPassword, "Client Key")), 32 bytes.
  std::string server_key;  // HMAC(SaltedPassword, "Server Key"), 32 bytes.
};

// 18 random bytes (OpenSSL's generator), base64: a server nonce or a salt's text.
std::string random_scram_bytes();
// The verifier of `password` with a fresh random salt.
ScramVerifier make_scram_verifier(std::string_view password);
// The verifier of `password` with `salt` (raw bytes).
ScramVerifier make_scram_verifier(std::string_view password, std::string_view salt,
                                  int iterations = kScramIterations);
// "SCRAM-SHA-256$<iterations>:<salt>$<StoredKey>:<ServerKey>" (base64), as in pg_authid.
Result<ScramVerifier> parse_scram_verifier(std::string_view text);
std::string format_scram_verifier(const ScramVerifier& verifier);

// One authentication exchange. With no verifier (an unknown user) the exchange runs to its end
// and fails there, as PostgreSQL does, so that a client cannot tell which users exist.
class ScramServer {
 public:
  ScramServer(std::optional<ScramVerifier> verifier, std::string server_nonce);

  // The client-first-message ("n,,n=,r=NONCE") -> the server-first-message. kInvalidArgument
  // for a malformed message or channel binding asked for.
  Result<std::string> on_client_first(std::string_view message);
  // The client-final-message -> the server-final-message ("v=..."). kUnauthenticated if the
  // proof is wrong (or the user unknown); kInvalidArgument if malformed.
  Result<std::string> on_client_final(std::string_view message);

 private:
  std::optional<ScramVerifier> verifier_;
  ScramVerifier mock_;  // Used in place of a missing verifier.
  std::string server_nonce_;
  std::string client_first_bare_;
  std::string server_first_;
  std::string gs2_header_;
  std::string nonce_;  // Client's then ours.
};

}  // namespace sk::auth
