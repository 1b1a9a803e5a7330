// A blocking HTTP/1.1 request with a deadline (Boost.Beast), for the proposers' set-up calls
// (creating the timeline on each safekeeper), skctl and the tests; not for anything on a hot
// path.
#pragma once

#include <chrono>
#include <filesystem>
#include <string>
#include <utility>
#include <vector>

#include "consensus/result.h"

namespace sk::http {

struct HttpReply {
  int status = 0;
  std::string body;
};

using HttpHeaders = std::vector<std::pair<std::string, std::string>>;

// `address` is host:port, http://host:port or https://host:port; over https the server's
// certificate must be signed by the trusted CA (set_trusted_ca) and name `host`. kUnavailable
// when the server cannot be reached, complete a TLS handshake or answer in time.
Result<HttpReply> http_request(const std::string& address, const std::string& method,
                               const std::string& target, const std::string& body,
                               std::chrono::milliseconds timeout, const HttpHeaders& headers = {});

// The CA file https:// servers are verified against, for the whole process (programs set it once
// from their --tls-ca flag); empty (the default): the system's trusted CAs.
void set_trusted_ca(const std::filesystem::path& ca_file);

}  // namespace sk::http
