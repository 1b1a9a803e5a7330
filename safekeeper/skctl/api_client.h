// skctl's client of the safekeepers' HTTP API: a request goes to the first address that
// answers, so any safekeeper of the cluster (or several, for when one is down) will do. A
// refusal comes back as the server's error: its code (consensus/error_code.h) and message.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include <boost/json/value.hpp>

#include "consensus/result.h"

namespace sk::skctl {

struct ApiReply {
  std::string address;  // The safekeeper that answered.
  int status = 0;
  boost::json::value body;
};

class ApiClient {
 public:
  // `token` (auth/token.h) goes with every request as "Authorization: Bearer"; empty: none.
  // `token_file` holds the same token, for the programs skctl starts (walproposers).
  // `tls_ca`: the CA https:// addresses are verified against (http::set_trusted_ca), passed on
  // to the programs skctl starts.
  explicit ApiClient(std::vector<std::string> addresses, std::string token = {},
                     std::string token_file = {}, std::string tls_ca = {})
      : addresses_(std::move(addresses)),
        token_(std::move(token)),
        token_file_(std::move(token_file)),
        tls_ca_(std::move(tls_ca)) {}

  // The first 2xx answer. kUnavailable when no safekeeper could be reached (the message names
  // each address and why); a 4xx or 5xx answer as an Error with the server's code and message.
  Result<ApiReply> call(const std::string& method, const std::string& target,
                        const std::optional<boost::json::value>& body = std::nullopt,
                        const std::vector<std::pair<std::string, std::string>>& headers = {}) const;
  // The same, at one address only.
  Result<ApiReply> call_at(const std::string& address, const std::string& method,
                           const std::string& target,
                           const std::optional<boost::json::value>& body = std::nullopt,
                           const std::vector<std::pair<std::string, std::string>>& headers = {},
                           std::chrono::milliseconds timeout = std::chrono::seconds(30)) const;
  // Raw bytes (a WAL segment) from one address; kNotFound for a 404.
  Result<std::string> fetch_at(const std::string& address, const std::string& target) const;

  const std::vector<std::string>& addresses() const { return addresses_; }
  const std::string& token() const { return token_; }
  const std::string& token_file() const { return token_file_; }
  const std::string& tls_ca() const { return tls_ca_; }

 private:
  // `reached`: whether the safekeeper answered at all (a refusal is an answer).
  Result<ApiReply> request(const std::string& address, const std::string& method,
                           const std::string& target, const std::optional<boost::json::value>& body,
                           const std::vector<std::pair<std::string, std::string>>& headers,
                           std::chrono::milliseconds timeout, bool& reached) const;
  // `headers` with the Authorization header added when there is a token.
  std::vector<std::pair<std::string, std::string>> with_token(
      std::vector<std::pair<std::string, std::string>> headers) const;

  std::vector<std::string> addresses_;
  std::string token_;
  std::string token_file_;
  std::string tls_ca_;
};

// Percent-encodes a path segment or query value (an RFC 3339 offset's '+', a '/' in a name).
std::string url_encode(const std::string& text);

}  // namespace sk::skctl
