// Shared HTTP route helpers; see api_json.h.
#include "safekeeper/server/api_json.h"

#include <boost/json/serialize.hpp>

namespace sk::safekeeper {

namespace json = boost::json;

ApiResponse json_response(int status, const json::value& body) {
  ApiResponse response;
  response.status = status;
  response.body = json::serialize(body);
  response.body += '\n';
  return response;
}

ApiResponse error_response(const Error& error, const std::string& request_id) {
  json::object inner{{"code", error_code_name(error.code())},
                     {"message", error.message()},
                     {"request_id", request_id}};
  return json_response(error_code_http_status(error.code()), json::object{{"error", inner}});
}

ApiResponse method_not_allowed_response(const ApiRequest& request, const std::string& allow) {
  ApiResponse response =
      error_response(Error(ErrorCode::kMethodNotAllowed, request.method + " is not allowed on " +
                                                             request.target + "; use " + allow),
                     request.request_id);
  response.headers.emplace_back("Allow", allow);
  return response;
}

}  // namespace sk::safekeeper
