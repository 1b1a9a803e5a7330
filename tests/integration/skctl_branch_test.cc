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

}  // namespace
}  // namespace sk::testing
