// BranchApiTest; see branch_api_client.h.
#include "tests/integration/branch_api_client.h"

namespace sk::testing {

namespace json = boost::json;

Reply BranchApiTest::call(int i, const std::string& method, const std::string& target,
                          const std::string& body, const Headers& headers) {
  return cluster_->http(i, method, target, body, headers).value_or(Reply{});
}

Reply BranchApiTest::create_tenant(int i) {
  return call(i, "POST", "/v1/tenants", std::string(R"({"tenant_id":")") + kTenant + R"("})");
}

std::string BranchApiTest::tenant_path() {
  return std::string("/v1/tenants/") + kTenant;
}

std::string BranchApiTest::branches_path() {
  return tenant_path() + "/branches";
}

std::string text(const json::value& object, const char* field) {
  if (!object.is_object()) {
    return "";
  }
  const json::value* value = object.as_object().if_contains(field);
  return value != nullptr && value->is_string() ? std::string(value->as_string()) : "";
}

namespace {
json::value error_of(const Reply& reply) {
  const json::value* error =
      reply.body.is_object() ? reply.body.as_object().if_contains("error") : nullptr;
  return error != nullptr ? *error : json::value();
}
}  // namespace

std::string error_code(const Reply& reply) {
  return text(error_of(reply), "code");
}

std::string error_message(const Reply& reply) {
  return text(error_of(reply), "message");
}

std::string error_request_id(const Reply& reply) {
  return text(error_of(reply), "request_id");
}

}  // namespace sk::testing
