// route_access.h: every kind of route needs what the security table says.
#include "safekeeper/server/route_access.h"

#include <gtest/gtest.h>

#include "safekeeper/server/api_json.h"

namespace sk::safekeeper {
namespace {

using Kind = auth::Need::Kind;

constexpr std::string_view kTenant = "0123456789abcdef0123456789abcdef";

auth::Need need(std::string_view method, std::string_view target) {
  return route_need(method, path_segments(target));
}

TEST(RouteAccessTest, EachRouteNeedsItsScope) {
  const std::string t(kTenant);
  struct Row {
    const char* method;
    std::string target;
    Kind kind;
  };
  const Row rows[] = {
      {"GET", "/metrics", Kind::kAdmin},
      {"GET", "/v1/status", Kind::kAnyToken},
      {"GET", "/v1/tenants", Kind::kAdmin},
      {"POST", "/v1/tenants", Kind::kAdmin},
      {"GET", "/v1/tenants/" + t, Kind::kTenantRead},
      {"PATCH", "/v1/tenants/" + t, Kind::kTenantWrite},
      {"GET", "/v1/tenants/" + t + "/timelines", Kind::kTenantRead},
      {"POST", "/v1/tenants/" + t + "/timelines", Kind::kTenantWrite},
      {"HEAD", "/v1/tenants/" + t + "/timelines/x/wal/000000010000000000000001", Kind::kTenantRead},
      {"DELETE", "/v1/tenants/" + t + "/timelines/x", Kind::kTenantWrite},
      {"POST", "/v1/tenants/" + t + "/branches?x=1", Kind::kTenantWrite},
      {"DELETE", "/v1/tenants/" + t + "/snapshots/s", Kind::kTenantWrite},
      {"GET", "/v1/tenants/not-hex/branches", Kind::kAdmin},
      {"GET", "/no/such/route", Kind::kAnyToken},
  };
  for (const Row& row : rows) {
    const auth::Need got = need(row.method, row.target);
    EXPECT_EQ(got.kind, row.kind) << row.method << " " << row.target;
    if (row.kind == Kind::kTenantRead || row.kind == Kind::kTenantWrite) {
      EXPECT_EQ(got.tenant.to_hex(), kTenant);
    }
  }
}

TEST(RouteAccessTest, PercentEncodedTenantIsTheSameTenant) {
  const auth::Need got = need("GET", "/v1/tenants/%30123456789abcdef0123456789abcdef/branches");
  EXPECT_EQ(got.kind, Kind::kTenantRead);
  EXPECT_EQ(got.tenant.to_hex(), kTenant);
}

}  // namespace
}  // namespace sk::safekeeper
