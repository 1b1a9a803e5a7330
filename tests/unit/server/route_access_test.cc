// route_access.h: every kind of route needs what the security table says.
#include "safekeeper/server/route_access.h"

#include <gtest/gtest.h>

#include "safekeeper/server/api_json.h"
#include "safekeeper/server/request_target.h"

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
      {"PUT", "/v1/tenants/" + t + "/timelines/x/configuration", Kind::kAdmin},
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

TEST(RouteAccessTest, OnlyTheTwoProbesNeedNoToken) {
  EXPECT_TRUE(is_probe(path_segments("/healthz")));
  EXPECT_TRUE(is_probe(path_segments("/readyz?verbose")));
  EXPECT_FALSE(is_probe(path_segments("/healthz/x")));
  EXPECT_FALSE(is_probe(path_segments("/v1/status")));
  EXPECT_FALSE(is_probe(path_segments("/metrics")));
}

TEST(RouteTemplateTest, IdsAndNamesAreReplacedByWhatTheyName) {
  const std::string t(kTenant);
  EXPECT_EQ(route_template(path_segments("/v1/status")), "/v1/status");
  EXPECT_EQ(route_template(path_segments("/")), "/");
  EXPECT_EQ(route_template(path_segments("/v1/tenants")), "/v1/tenants");
  EXPECT_EQ(route_template(path_segments("/v1/tenants/" + t + "/timelines/x/wal/0001?a=b")),
            "/v1/tenants/{tenant}/timelines/{timeline}/wal/{segment}");
  EXPECT_EQ(route_template(path_segments("/v1/tenants/" + t + "/branches/main/reset")),
            "/v1/tenants/{tenant}/branches/{branch}/reset");
  // A branch named like a collection is still a name, and what follows it is not.
  EXPECT_EQ(route_template(path_segments("/v1/tenants/" + t + "/branches/timelines/reset")),
            "/v1/tenants/{tenant}/branches/{branch}/reset");
  EXPECT_EQ(route_template(path_segments("/v1/tenants/" + t + "/snapshots/s1")),
            "/v1/tenants/{tenant}/snapshots/{snapshot}");
  // Unknown paths are bounded: 8 segments of 32 bytes at most.
  const std::string long_segment(100, 'x');
  const std::string route =
      route_template(path_segments("/" + long_segment + "/a/b/c/d/e/f/g/h/i/j"));
  EXPECT_EQ(route, "/" + std::string(32, 'x') + "/a/b/c/d/e/f/g/...");
}

TEST(RouteAccessTest, PercentEncodedTenantIsTheSameTenant) {
  const auth::Need got = need("GET", "/v1/tenants/%30123456789abcdef0123456789abcdef/branches");
  EXPECT_EQ(got.kind, Kind::kTenantRead);
  EXPECT_EQ(got.tenant.to_hex(), kTenant);
}

}  // namespace
}  // namespace sk::safekeeper
