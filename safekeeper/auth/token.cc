// JWTs with EdDSA; see token.h.
#include "safekeeper/auth/token.h"

#include <ctime>
#include <fstream>
#include <sstream>

#include <boost/json.hpp>

#include "safekeeper/auth/base64.h"

namespace sk::auth {

namespace json = boost::json;

namespace {

constexpr std::string_view kHeader = R"({"alg":"EdDSA","typ":"JWT"})";

Error unauthenticated(std::string message) {
  return Error(ErrorCode::kUnauthenticated, std::move(message));
}

std::string utc_text(std::int64_t unix_seconds) {
  const std::time_t t = static_cast<std::time_t>(unix_seconds);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char text[32];
  std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return text;
}

// The JSON object a base64url part holds.
Result<json::object> decode_object(std::string_view part, const char* what) {
  auto bytes = base64url_decode(part);
  if (!bytes) {
    return unauthenticated(std::string("token ") + what + " is not base64url");
  }
  boost::system::error_code ec;
  json::value value = json::parse(*bytes, ec);
  if (ec || !value.is_object()) {
    return unauthenticated(std::string("token ") + what + " is not a JSON object");
  }
  return std::move(value.as_object());
}

// An integer claim, or nullopt when absent; an error when present with another type.
Result<std::optional<std::int64_t>> integer_claim(const json::object& claims, const char* name) {
  const json::value* value = claims.if_contains(name);
  if (value == nullptr) {
    return std::optional<std::int64_t>();
  }
  if (value->is_int64()) {
    return std::optional<std::int64_t>(value->as_int64());
  }
  return unauthenticated(std::string("token claim \"") + name + "\" is not an integer");
}

}  // namespace

std::string issue_token(const Grant& grant, const PrivateKey& key, std::int64_t now) {
  json::object claims{{"scope", grant.scope_text()}, {"iat", now}, {"exp", grant.expires_at}};
  if (!grant.subject.empty()) {
    claims["sub"] = grant.subject;
  }
  std::string signed_part =
      base64url_encode(kHeader) + "." + base64url_encode(json::serialize(claims));
  const std::string signature = key.sign(signed_part);
  return signed_part + "." + base64url_encode(signature);
}

Result<Grant> verify_token(std::string_view token, const PublicKeys& keys, std::int64_t now) {
  if (token.size() > kMaxTokenBytes) {
    return unauthenticated("token longer than " + std::to_string(kMaxTokenBytes) + " bytes");
  }
  const std::size_t first_dot = token.find('.');
  const std::size_t last_dot = token.rfind('.');
  if (first_dot == std::string_view::npos || first_dot == last_dot ||
      token.find('.', first_dot + 1) != last_dot) {
    return unauthenticated("not a JWT: expected three base64url parts separated by dots");
  }
  auto header = decode_object(token.substr(0, first_dot), "header");
  if (!header) {
    return header.error();
  }
  const json::value* alg = header->if_contains("alg");
  if (alg == nullptr || !alg->is_string() || alg->as_string() != "EdDSA") {
    return unauthenticated("token algorithm " +
                           (alg == nullptr ? std::string("missing") : json::serialize(*alg)) +
                           ": only EdDSA (Ed25519) tokens are accepted");
  }
  if (header->contains("crit")) {
    return unauthenticated("token header has critical extensions this server does not know");
  }
  auto signature = base64url_decode(token.substr(last_dot + 1));
  if (!signature || !keys.verify(token.substr(0, last_dot), *signature)) {
    return unauthenticated("token signature does not match any of the " +
                           std::to_string(keys.size()) + " trusted public keys");
  }
  auto claims = decode_object(token.substr(first_dot + 1, last_dot - first_dot - 1), "claims");
  if (!claims) {
    return claims.error();
  }
  const json::value* scope = claims->if_contains("scope");
  if (scope == nullptr || !scope->is_string()) {
    return unauthenticated("token has no \"scope\" claim");
  }
  auto grant = parse_scope(std::string_view(scope->as_string()));
  if (!grant) {
    return unauthenticated("token " + grant.error().message());
  }
  auto expires = integer_claim(*claims, "exp");
  if (!expires) {
    return expires.error();
  }
  if (!*expires) {
    return unauthenticated("token has no \"exp\" claim: every token must expire");
  }
  if (now >= **expires) {
    return unauthenticated("token expired at " + utc_text(**expires));
  }
  auto not_before = integer_claim(*claims, "nbf");
  if (!not_before) {
    return not_before.error();
  }
  if (*not_before && now < **not_before) {
    return unauthenticated("token not valid before " + utc_text(**not_before));
  }
  if (const json::value* subject = claims->if_contains("sub"); subject && subject->is_string()) {
    grant->subject = std::string(subject->as_string());
  }
  grant->expires_at = **expires;
  return grant;
}

Result<std::string> read_token_file(const std::filesystem::path& file) {
  std::ifstream in(file);
  if (!in) {
    return Error(ErrorCode::kInvalidArgument, "cannot read token file " + file.string());
  }
  std::ostringstream text;
  text << in.rdbuf();
  std::string token = text.str();
  const auto begin = token.find_first_not_of(" \t\r\n");
  const auto end = token.find_last_not_of(" \t\r\n");
  if (begin == std::string::npos) {
    return Error(ErrorCode::kInvalidArgument, "token file " + file.string() + " is empty");
  }
  return token.substr(begin, end - begin + 1);
}

}  // namespace sk::auth
