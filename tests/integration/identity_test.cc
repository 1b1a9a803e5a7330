// A lost data directory on a real cluster: a node restarted with a wiped data directory and its
// old id is refused by its peers and stops, while the others go on committing; a cluster of new
// data directories serves no vote until enough peers have recorded each one.
#include <filesystem>

#include "tests/integration/branch_api_client.h"

namespace sk::testing {
namespace {

namespace fs = std::filesystem;
namespace json = boost::json;

class IdentityTest : public BranchApiTest {
 protected:
  // Stops node i and empties its data directory, as a lost disk would leave it.
  void wipe(int i) {
    ASSERT_EQ(cluster_->terminate(i), 0);
    fs::remove_all(cluster_->node(i).data_dir);
    fs::create_directories(cluster_->node(i).data_dir);
  }
  std::string identity_check(int i) {
    const Reply ready = call(i, "GET", "/readyz");
    const json::value* checks =
        ready.body.is_object() ? ready.body.as_object().if_contains("checks") : nullptr;
    return checks != nullptr ? text(*checks, "identity") : "";
  }
};

TEST_F(IdentityTest, ANodeBackWithAWipedDataDirectoryAndItsOldId_IsRefusedAndStops) {
  ASSERT_EQ(create_tenant(0).status, 201) << cluster_->logs();
  const Reply before = call(2, "GET", "/v1/status");
  ASSERT_EQ(before.status, 200);
  const std::string old_incarnation = text(before.body.at("data_dir"), "incarnation");
  EXPECT_EQ(text(before.body.at("data_dir"), "identity"), "confirmed");

  wipe(2);
  ASSERT_TRUE(cluster_->start(2)) << cluster_->logs();
  const std::optional<int> exit_code =
      cluster_->node(2).process.wait_exit(std::chrono::seconds(20));
  ASSERT_TRUE(exit_code.has_value()) << "node 3 still runs:\n" << cluster_->logs();
  EXPECT_EQ(*exit_code, 1);
  const std::string log = file_text(cluster_->node(2).log);
  EXPECT_NE(log.find("IDENTITY_CONFLICT"), std::string::npos) << log;
  EXPECT_NE(log.find("belongs to incarnation " + old_incarnation), std::string::npos) << log;
  EXPECT_NE(log.find("must join under a new id"), std::string::npos) << log;

  // The other two go on: a change commits, and each still has node 3's first incarnation.
  const Reply created = call(0, "POST", branches_path(), R"({"name":"after"})");
  EXPECT_EQ(created.status, 201) << json::serialize(created.body);
  EXPECT_EQ(call(1, "GET", branches_path() + "/after").status, 200);
}

TEST_F(IdentityTest, NewDataDirectories_ServeNothingUntilEnoughPeersRecordedThem) {
  for (int i = 0; i < 3; ++i) {
    wipe(i);
  }
  // Two of three: each needs both others (more than half of them) to record it.
  ASSERT_TRUE(cluster_->start(0));
  ASSERT_TRUE(cluster_->start(1));
  ASSERT_TRUE(poll_until(
      cluster_->node(0).process,
      [&] { return identity_check(0).find("(1 have)") != std::string::npos; },
      std::chrono::seconds(10)))
      << identity_check(0);
  EXPECT_EQ(call(0, "GET", "/readyz").status, 503);
  EXPECT_NE(identity_check(0).find("waiting for 2 of the other 2 nodes"), std::string::npos)
      << identity_check(0);
  const Reply refused = create_tenant(0);  // Sent nowhere: no acceptor takes a vote yet.
  EXPECT_EQ(refused.status, 503) << json::serialize(refused.body);

  ASSERT_TRUE(cluster_->start(2));
  for (int i = 0; i < 3; ++i) {
    SCOPED_TRACE(i + 1);
    ASSERT_TRUE(poll_until(
        cluster_->node(i).process, [&] { return call(i, "GET", "/readyz").status == 200; },
        std::chrono::seconds(10)))
        << identity_check(i) << "\n"
        << cluster_->logs();
    EXPECT_EQ(identity_check(i), "confirmed");
  }
  EXPECT_EQ(create_tenant(1).status, 201) << cluster_->logs();
}

}  // namespace
}  // namespace sk::testing
