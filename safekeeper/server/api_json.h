// What every HTTP route shares: JSON responses and the error body (and, through
// request_target.h, reading a request's path, query and ids). Boost.JSON only (no Beast).
//
// Errors: {"error": {"code", "message", "request_id"}} with the HTTP status of the code
// (consensus/error_code.h); request_id is the client's X-Request-ID or one the server made up.
#pragma once

#include <string>

#include <boost/json/value.hpp>

#include "consensus/result.h"
#include "safekeeper/server/api_routes.h"
#include "safekeeper/server/request_target.h"

namespace sk::safekeeper {

ApiResponse json_response(int status, const boost::json::value& body);
ApiResponse error_response(const Error& error, const std::string& request_id);
// 405 for `request`'s method, with the Allow header listing `allow` ("GET, POST").
ApiResponse method_not_allowed_response(const ApiRequest& request, const std::string& allow);

}  // namespace sk::safekeeper
