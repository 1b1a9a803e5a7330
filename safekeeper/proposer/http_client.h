// A blocking HTTP/1.1 request with a deadline, for the proposers' set-up calls (creating the
// timeline on each safekeeper) and for tools; not for anything on a hot path.
#pragma once

#include <chrono>
#include <string>

#include "consensus/result.h"

namespace sk::proposer {

struct HttpReply {
  int status = 0;
  std::string body;
};

// `address` is host:port. kUnavailable when the server cannot be reached or answer in time.
Result<HttpReply> http_request(const std::string& address, const std::string& method,
                               const std::string& target, const std::string& body,
                               std::chrono::milliseconds timeout);

}  // namespace sk::proposer
