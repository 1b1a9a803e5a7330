// What each HTTP route needs of a token (auth/grant.h), decided from the method and the path
// alone, before any route runs, so that no route can forget its check:
//   GET /metrics, anything on /v1/tenants itself (list, create)      admin
//   GET /v1/status                                                   any valid token; a tenant
//                                                                    token sees its tenant only
//   GET or HEAD under /v1/tenants/{t}                                read tenant t
//   any other method under /v1/tenants/{t}                           write tenant t
//   anything else (no such route: 404 once authenticated)           any valid token
// The probes, GET /healthz and /readyz, need no token (is_probe): a kubelet or a load balancer
// has none, and they show nothing of any tenant.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "safekeeper/auth/grant.h"

namespace sk::safekeeper {

// `path` as path_segments() splits it.
auth::Need route_need(std::string_view method, const std::vector<std::string>& path);
bool is_probe(const std::vector<std::string>& path);

}  // namespace sk::safekeeper
