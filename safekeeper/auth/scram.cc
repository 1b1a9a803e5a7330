// SCRAM-SHA-256; see scram.h.
#include "safekeeper/auth/scram.h"

#include <charconv>
#include <vector>

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>
#include <openssl/sha.h>

#include "consensus/check.h"
#include "safekeeper/auth/base64.h"

namespace sk::auth {

namespace {

std::string hmac(std::string_view key, std::string_view message) {
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
       reinterpret_cast<const unsigned char*>(message.data()), message.size(), out, &length);
  return std::string(reinterpret_cast<char*>(out), length);
}

std::string sha256(std::string_view bytes) {
  unsigned char out[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(bytes.data()), bytes.size(), out);
  return std::string(reinterpret_cast<char*>(out), sizeof out);
}

Error malformed(const std::string& what) {
  return Error(ErrorCode::kInvalidArgument, "malformed SCRAM message: " + what);
}

// The value of attribute `name` ("r" in "r=abc") at the start of `part`.
std::optional<std::string_view> attribute(std::string_view part, char name) {
  if (part.size() < 2 || part[0] != name || part[1] != '=') {
    return std::nullopt;
  }
  return part.substr(2);
}

// Splits on ','.
std::vector<std::string_view> fields(std::string_view message) {
  std::vector<std::string_view> out;
  std::size_t begin = 0;
  while (true) {
    const std::size_t comma = message.find(',', begin);
    out.push_back(message.substr(begin, comma == std::string_view::npos ? comma : comma - begin));
    if (comma == std::string_view::npos) {
      return out;
    }
    begin = comma + 1;
  }
}

bool printable_nonce(std::string_view nonce) {
  for (const char c : nonce) {
    if (c < 0x21 || c > 0x7e || c == ',') {
      return false;
    }
  }
  return !nonce.empty();
}

}  // namespace

std::string random_scram_bytes() {
  unsigned char bytes[18];
  SK_CHECK(RAND_bytes(bytes, sizeof bytes) == 1);
  return base64_encode(std::string_view(reinterpret_cast<char*>(bytes), sizeof bytes));
}

ScramVerifier make_scram_verifier(std::string_view password) {
  auto salt = base64_decode(random_scram_bytes());
  return make_scram_verifier(password, salt->substr(0, 16));
}

ScramVerifier make_scram_verifier(std::string_view password, std::string_view salt,
                                  int iterations) {
  unsigned char salted[SHA256_DIGEST_LENGTH];
  PKCS5_PBKDF2_HMAC(password.data(), static_cast<int>(password.size()),
                    reinterpret_cast<const unsigned char*>(salt.data()),
                    static_cast<int>(salt.size()), iterations, EVP_sha256(), sizeof salted, salted);
  const std::string salted_password(reinterpret_cast<char*>(salted), sizeof salted);
  return {iterations, std::string(salt), sha256(hmac(salted_password, "Client Key")),
          hmac(salted_password, "Server Key")};
}

Result<ScramVerifier> parse_scram_verifier(std::string_view text) {
  constexpr std::string_view kPrefix = "SCRAM-SHA-256$";
  const Error bad(ErrorCode::kInvalidArgument,
                  "not a SCRAM-SHA-256$<iterations>:<salt>$<StoredKey>:<ServerKey> verifier");
  if (!text.starts_with(kPrefix)) {
    return bad;
  }
  text.remove_prefix(kPrefix.size());
  const std::size_t colon = text.find(':');
  const std::size_t dollar = text.find('$');
  const std::size_t second_colon = text.find(':', dollar);
  if (colon == std::string_view::npos || dollar == std::string_view::npos || dollar < colon ||
      second_colon == std::string_view::npos) {
    return bad;
  }
  ScramVerifier verifier;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + colon, verifier.iterations);
  auto salt = base64_decode(text.substr(colon + 1, dollar - colon - 1));
  auto stored = base64_decode(text.substr(dollar + 1, second_colon - dollar - 1));
  auto server = base64_decode(text.substr(second_colon + 1));
  if (ec != std::errc() || end != text.data() + colon || verifier.iterations < 1 || !salt ||
      salt->empty() || !stored || stored->size() != 32 || !server || server->size() != 32) {
    return bad;
  }
  verifier.salt = std::move(*salt);
  verifier.stored_key = std::move(*stored);
  verifier.server_key = std::move(*server);
  return verifier;
}

std::string format_scram_verifier(const ScramVerifier& v) {
  return "SCRAM-SHA-256$" + std::to_string(v.iterations) + ":" + base64_encode(v.salt) + "$" +
         base64_encode(v.stored_key) + ":" + base64_encode(v.server_key);
}

ScramServer::ScramServer(std::optional<ScramVerifier> verifier, std::string server_nonce)
    : verifier_(std::move(verifier)), server_nonce_(std::move(server_nonce)) {
  // Keys no password gives (a mock salt from our nonce): the exchange fails at the proof.
  mock_ = {kScramIterations, sha256("mock salt " + server_nonce_).substr(0, 16),
           sha256("mock stored " + server_nonce_), sha256("mock server " + server_nonce_)};
}

Result<std::string> ScramServer::on_client_first(std::string_view message) {
  // gs2-header: "n,," (no channel binding) or "y,," (the client could, we did not offer it).
  if (message.starts_with("p=")) {
    return malformed("channel binding was asked for, and only SCRAM-SHA-256 was offered");
  }
  if (!message.starts_with("n,") && !message.starts_with("y,")) {
    return malformed("expected a gs2 header 'n,,' or 'y,,'");
  }
  const std::size_t authzid_end = message.find(',', 2);
  if (authzid_end == std::string_view::npos || authzid_end != 2) {
    return malformed("an authorization identity is not supported");
  }
  gs2_header_ = std::string(message.substr(0, authzid_end + 1));
  client_first_bare_ = std::string(message.substr(authzid_end + 1));
  const auto parts = fields(client_first_bare_);
  // n= (PostgreSQL sends it empty: the user is the startup packet's), then r=.
  if (parts.size() < 2 || !attribute(parts[0], 'n') || !attribute(parts[1], 'r') ||
      !printable_nonce(*attribute(parts[1], 'r'))) {
    return malformed("expected n=USER,r=NONCE");
  }
  nonce_ = std::string(*attribute(parts[1], 'r')) + server_nonce_;
  const ScramVerifier& v = verifier_ ? *verifier_ : mock_;
  server_first_ =
      "r=" + nonce_ + ",s=" + base64_encode(v.salt) + ",i=" + std::to_string(v.iterations);
  return server_first_;
}

Result<std::string> ScramServer::on_client_final(std::string_view message) {
  const auto parts = fields(message);
  if (parts.size() < 3 || !attribute(parts[0], 'c') || !attribute(parts[1], 'r') ||
      !attribute(parts.back(), 'p')) {
    return malformed("expected c=...,r=...,p=...");
  }
  if (*attribute(parts[0], 'c') != base64_encode(gs2_header_)) {
    return malformed("the channel binding does not repeat the gs2 header");
  }
  if (*attribute(parts[1], 'r') != nonce_) {
    return malformed("the nonce is not the one of this exchange");
  }
  auto proof = base64_decode(*attribute(parts.back(), 'p'));
  const std::string_view without_proof = message.substr(0, message.rfind(",p="));
  const std::string auth_message =
      client_first_bare_ + "," + server_first_ + "," + std::string(without_proof);
  const ScramVerifier& v = verifier_ ? *verifier_ : mock_;
  const std::string signature = hmac(v.stored_key, auth_message);
  bool valid = proof && proof->size() == signature.size() && verifier_.has_value();
  if (valid) {
    std::string client_key = *proof;
    for (std::size_t i = 0; i < client_key.size(); ++i) {
      client_key[i] = static_cast<char>(client_key[i] ^ signature[i]);
    }
    valid = sha256(client_key) == v.stored_key;
  }
  if (!valid) {
    return Error(ErrorCode::kUnauthenticated, "password authentication failed");
  }
  return "v=" + base64_encode(hmac(v.server_key, auth_message));
}

}  // namespace sk::auth
