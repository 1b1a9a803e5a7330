// Branches by name through the skctl binary, against a three-node cluster with the branch log
// (no PostgreSQL started): a name with a slash is one path segment, percent-encoded by skctl
// and decoded by the safekeepers.
#include "tests/integration/skctl_fixture.h"

namespace sk::testing {
namespace {

class SkctlBranchTest : public SkctlTest {
 protected:
  bool clone_store() const override { return false; }
};

TEST_F(SkctlBranchTest, ABranchNamedWithASlash_IsCreatedReadAndDeletedByName) {
  ASSERT_EQ(skctl({"tenant", "create", "t", "--tenant-id", kTenant}).exit_code, 0);
  const SkctlResult created = skctl({"branch", "create", "feature/x"});
  ASSERT_EQ(created.exit_code, std::optional<int>(0)) << created.output;
  const boost::json::value got = skctl_json({"branch", "get", "feature/x"});
  ASSERT_TRUE(got.is_object());
  EXPECT_EQ(got.at("name").as_string(), "feature/x");
  const SkctlResult deleted = skctl({"branch", "delete", "feature/x"});
  EXPECT_EQ(deleted.exit_code, std::optional<int>(0)) << deleted.output;
  const SkctlResult gone = skctl({"branch", "get", "feature/x"});
  EXPECT_EQ(gone.exit_code, std::optional<int>(1)) << gone.output;
  EXPECT_NE(gone.output.find("feature/x"), std::string::npos) << gone.output;
}

// A protected branch refuses delete and reset until unprotected; one with a TTL is deleted by
// the cluster once it expires, on every node.
TEST_F(SkctlBranchTest, ProtectedBranchesStay_ExpiredOnesGo) {
  ASSERT_EQ(skctl({"tenant", "create", "t", "--tenant-id", kTenant}).exit_code, 0);
  ASSERT_EQ(skctl({"branch", "create", "keep", "--protected", "true"}).exit_code, 0);
  const boost::json::value kept = skctl_json({"branch", "get", "keep"});
  EXPECT_TRUE(kept.at("protected").as_bool());
  EXPECT_TRUE(kept.at("expires_at").is_null());
  const SkctlResult refused = skctl({"branch", "delete", "keep"});
  EXPECT_EQ(refused.exit_code, std::optional<int>(1)) << refused.output;
  EXPECT_NE(refused.output.find("branch 'keep' is protected"), std::string::npos) << refused.output;
  ASSERT_EQ(skctl({"branch", "set", "keep", "--protected", "false"}).exit_code, 0);
  const SkctlResult deleted = skctl({"branch", "delete", "keep"});
  EXPECT_EQ(deleted.exit_code, std::optional<int>(0)) << deleted.output;

  const SkctlResult temp = skctl({"branch", "create", "temp", "--ttl", "2s"});
  ASSERT_EQ(temp.exit_code, std::optional<int>(0)) << temp.output;
  EXPECT_TRUE(skctl_json({"branch", "get", "temp"}).at("expires_at").is_string());
  for (int node = 0; node < 3; ++node) {
    EXPECT_TRUE(poll_until(
        cluster_->node(node).process,
        [&] {
          auto reply = cluster_->http(node, "GET", branches_path() + "/temp");
          return reply.has_value() && reply->status == 404;
        },
        std::chrono::seconds(30)))
        << "node " << node << cluster_->logs();
  }
}

// A tenant's history retention window: 7 days unless given, set at creation, changed by
// `tenant set`, bounded by the node's limits (1h to 30d by default), and the same on every node.
TEST_F(SkctlBranchTest, HistoryRetention_IsSetAtCreationAndChangedLater) {
  const SkctlResult created =
      skctl({"tenant", "create", "t", "--tenant-id", kTenant, "--history-retention", "2d"});
  ASSERT_EQ(created.exit_code, std::optional<int>(0)) << created.output;
  boost::json::value tenants = skctl_json({"tenant", "list"});
  ASSERT_TRUE(tenants.is_object());
  EXPECT_EQ(tenants.at("tenants").at(0).at("history_retention").as_string(), "2d");

  const SkctlResult changed = skctl({"tenant", "set", "--history-retention", "36h"});
  ASSERT_EQ(changed.exit_code, std::optional<int>(0)) << changed.output;
  for (int node = 0; node < 3; ++node) {
    auto reply = cluster_->http(node, "GET", std::string("/v1/tenants/") + kTenant);
    ASSERT_TRUE(reply.has_value());
    const boost::json::value& tenant = reply->body;
    EXPECT_EQ(tenant.at("history_retention").as_string(), "1d12h") << "node " << node;
    EXPECT_EQ(tenant.at("history_retention_seconds").as_int64(), 129600) << "node " << node;
  }

  const SkctlResult too_short = skctl({"tenant", "set", "--history-retention", "5m"});
  EXPECT_EQ(too_short.exit_code, std::optional<int>(1)) << too_short.output;
  EXPECT_NE(too_short.output.find("must be from 1h to 30d"), std::string::npos) << too_short.output;
  const SkctlResult not_a_duration = skctl({"tenant", "set", "--history-retention", "7"});
  EXPECT_EQ(not_a_duration.exit_code, std::optional<int>(1)) << not_a_duration.output;
  EXPECT_NE(not_a_duration.output.find("is not a duration"), std::string::npos)
      << not_a_duration.output;
  tenants = skctl_json({"tenant", "list"});
  EXPECT_EQ(tenants.at("tenants").at(0).at("history_retention").as_string(), "1d12h");
}

}  // namespace
}  // namespace sk::testing
