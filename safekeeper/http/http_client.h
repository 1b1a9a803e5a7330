// A blocking HTTP/1.1 request with a deadline (Boost.Beast), for the proposers' set-up calls
// (creating the timeline on each safekeeper), skctl and the tests; not for anything on a hot
// path.
#pragma once

#include <chrono>
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

// `address` is host:port. kUnavailable when the server cannot be reached or answer in time.
Result<HttpReply> http_request(const std::string& address, const std::string& method,
                               const std::string& target, const std::string& body,
                               std::chrono::milliseconds timeout, const HttpHeaders& headers = {});

}  // namespace sk::http
