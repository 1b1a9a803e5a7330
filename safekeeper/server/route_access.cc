// route_need; see route_access.h.
#include "safekeeper/server/route_access.h"

namespace sk::safekeeper {

auth::Need route_need(std::string_view method, const std::vector<std::string>& path) {
  if (path == std::vector<std::string>{"metrics"}) {
    return auth::Need::admin();
  }
  if (path.size() < 2 || path[0] != "v1" || path[1] != "tenants") {
    return auth::Need::any_token();
  }
  if (path.size() == 2) {
    return auth::Need::admin();
  }
  const auto tenant = consensus::TenantId::parse_hex(path[2]);
  if (!tenant) {
    // Not a tenant id: the route answers 400 or 404, after an admin token, which could read
    // or change any tenant anyway; nothing of a tenant is named, so nothing leaks to others.
    return auth::Need::admin();
  }
  const bool reads = method == "GET" || method == "HEAD";
  if (!reads && path.size() == 6 && path[5] == "configuration") {
    return auth::Need::admin();  // Membership is the operator's, not the tenant's.
  }
  return reads ? auth::Need::read(*tenant) : auth::Need::write(*tenant);
}

bool is_probe(const std::vector<std::string>& path) {
  return path == std::vector<std::string>{"healthz"} || path == std::vector<std::string>{"readyz"};
}

}  // namespace sk::safekeeper
