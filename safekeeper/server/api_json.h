// What every HTTP route shares: JSON responses, the error body, and reading a request's path,
// query and ids. Boost.JSON only (no Beast).
//
// Errors: {"error": {"code", "message", "request_id"}} with the HTTP status of the code
// (consensus/error_code.h); request_id is the client's X-Request-ID or one the server made up.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <boost/json/value.hpp>

#include "consensus/result.h"
#include "safekeeper/server/api_routes.h"

namespace sk::safekeeper {

ApiResponse json_response(int status, const boost::json::value& body);
ApiResponse error_response(const Error& error, const std::string& request_id);
// 405 for `request`'s method, with the Allow header listing `allow` ("GET, POST").
ApiResponse method_not_allowed_response(const ApiRequest& request, const std::string& allow);

// "/v1/tenants/x/timelines?y" -> {"v1", "tenants", "x", "timelines"}; each segment
// percent-decoded ("feature%2Fx" -> "feature/x"). Empty for a target that is not a path.
std::vector<std::string> path_segments(std::string_view target);

// The value of `name` in the target's query string, percent-decoded ("+" stays "+": RFC 3339
// offsets must be sent as %2B).
std::optional<std::string> query_parameter(std::string_view target, std::string_view name);

// kInvalidArgument "<what> '<text>' is not 32 hex digits".
template <class Id>
Result<Id> parse_id(std::string_view what, std::string_view text) {
  auto id = Id::parse_hex(text);
  if (!id) {
    return Error(ErrorCode::kInvalidArgument,
                 std::string(what) + " '" + std::string(text) + "' is not 32 hex digits");
  }
  return *id;
}

}  // namespace sk::safekeeper
