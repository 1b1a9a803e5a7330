// grant.h: scope texts and the one rule of who may do what.
#include "safekeeper/auth/grant.h"

#include <gtest/gtest.h>

namespace sk::auth {
namespace {

const consensus::TenantId kTenant =
    *consensus::TenantId::parse_hex("0123456789abcdef0123456789abcdef");
const consensus::TenantId kOther =
    *consensus::TenantId::parse_hex("fedcba9876543210fedcba9876543210");

Grant scope(std::string_view text) {
  return parse_scope(text).value();
}

TEST(GrantTest, ScopeTextRoundTrips) {
  for (const std::string text : {"admin", "safekeeper", "tenant:0123456789abcdef0123456789abcdef",
                                 "tenant:0123456789abcdef0123456789abcdef:read"}) {
    EXPECT_EQ(scope(text).scope_text(), text);
  }
  EXPECT_TRUE(scope("tenant:0123456789abcdef0123456789abcdef").write);
  EXPECT_FALSE(scope("tenant:0123456789abcdef0123456789abcdef:read").write);
}

TEST(GrantTest, RefusesUnknownScopes) {
  for (const std::string text : {"", "root", "tenant:", "tenant:xyz", "tenant:0123:read",
                                 "tenant:0123456789abcdef0123456789abcdef:write", "Admin"}) {
    auto parsed = parse_scope(text);
    ASSERT_FALSE(parsed) << text;
    EXPECT_EQ(parsed.error().code(), ErrorCode::kInvalidArgument);
  }
}

TEST(GrantTest, PermitsOnlyWhatTheScopeGives) {
  const Grant admin = scope("admin");
  const Grant node = scope("safekeeper");
  const Grant writer = scope("tenant:0123456789abcdef0123456789abcdef");
  const Grant reader = scope("tenant:0123456789abcdef0123456789abcdef:read");
  struct Row {
    Need need;
    bool admin, node, writer, reader;
  };
  const Row rows[] = {
      {Need::any_token(), true, true, true, true},
      {Need::read(kTenant), true, true, true, true},
      {Need::write(kTenant), true, true, true, false},
      {Need::read(kOther), true, true, false, false},
      {Need::write(kOther), true, true, false, false},
      {Need::admin(), true, false, false, false},
      {Need::wal_write(kTenant), false, true, true, false},
      {Need::wal_write(kOther), false, true, false, false},
      {Need::safekeeper(), false, true, false, false},
  };
  for (const Row& row : rows) {
    SCOPED_TRACE(row.need.describe());
    EXPECT_EQ(permits(admin, row.need).has_value(), row.admin);
    EXPECT_EQ(permits(node, row.need).has_value(), row.node);
    EXPECT_EQ(permits(writer, row.need).has_value(), row.writer);
    EXPECT_EQ(permits(reader, row.need).has_value(), row.reader);
  }
  auto refused = permits(reader, Need::write(kTenant));
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code(), ErrorCode::kPermissionDenied);
  EXPECT_NE(refused.error().message().find("write access to tenant " + kTenant.to_hex()),
            std::string::npos);
}

TEST(GrantTest, TenantTokensSeeOnlyTheirTenant) {
  EXPECT_TRUE(sees_tenant(scope("admin"), kOther));
  EXPECT_TRUE(sees_tenant(scope("tenant:0123456789abcdef0123456789abcdef:read"), kTenant));
  EXPECT_FALSE(sees_tenant(scope("tenant:0123456789abcdef0123456789abcdef"), kOther));
}

}  // namespace
}  // namespace sk::auth
