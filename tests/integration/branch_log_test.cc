// The branch log on a real cluster: a change made through one safekeeper is readable through
// the others as soon as its call returns; it commits with one node down and fails, changing
// nothing, with two down; conflicting changes through two nodes at once are decided the same on
// every node; a restart of the whole cluster keeps every node's view.
#include <future>
#include <set>

#include "tests/integration/branch_api_client.h"

namespace sk::testing {
namespace {

namespace json = boost::json;

class BranchLogTest : public BranchApiTest {};

TEST_F(BranchLogTest, ChangeThroughOneNode_IsReadableThroughEveryOther_AsSoonAsItReturns) {
  ASSERT_EQ(create_tenant(1).status, 201) << cluster_->logs();
  for (int round = 0; round < 20; ++round) {
    const std::string name = "b" + std::to_string(round);
    const int writer = round % 3;
    const Reply created = call(writer, "POST", branches_path(), R"({"name":")" + name + R"("})");
    ASSERT_EQ(created.status, 201) << json::serialize(created.body);
    const std::string timeline = text(created.body, "timeline_id");
    for (int reader = 0; reader < 3; ++reader) {
      const Reply got = call(reader, "GET", branches_path() + "/" + name);
      ASSERT_EQ(got.status, 200) << "node " << reader + 1 << " after a create through node "
                                 << writer + 1 << ": " << json::serialize(got.body);
      EXPECT_EQ(text(got.body, "timeline_id"), timeline);
    }
  }
}

TEST_F(BranchLogTest, WithOneNodeDown_ChangesCommit_WithTwoDown_TheyFailAndChangeNothing) {
  ASSERT_EQ(create_tenant(0).status, 201);
  cluster_->kill(2);
  const Reply one_down = call(0, "POST", branches_path(), R"({"name":"a"})");
  ASSERT_EQ(one_down.status, 201) << json::serialize(one_down.body);
  EXPECT_EQ(call(1, "GET", branches_path() + "/a").status, 200);

  cluster_->kill(1);
  const Reply two_down = call(0, "POST", branches_path(), R"({"name":"b"})");
  EXPECT_EQ(two_down.status, 503);
  EXPECT_EQ(error_code(two_down), "UNAVAILABLE");
  EXPECT_NE(error_message(two_down).find("quorum"), std::string::npos) << error_message(two_down);

  ASSERT_TRUE(cluster_->start(1));
  ASSERT_TRUE(cluster_->start(2));
  const Reply healed = call(0, "POST", branches_path(), R"({"name":"c"})");
  ASSERT_EQ(healed.status, 201) << json::serialize(healed.body);
  for (int i = 0; i < 3; ++i) {
    SCOPED_TRACE(i + 1);
    // Node 3 was down for both changes: the writer's term brings it up to date.
    ASSERT_TRUE(poll_until(
        cluster_->node(i).process,
        [&] { return call(i, "GET", branches_path() + "/c").status == 200; },
        std::chrono::seconds(10)))
        << cluster_->logs();
    EXPECT_EQ(call(i, "GET", branches_path() + "/a").status, 200);
    EXPECT_EQ(call(i, "GET", branches_path() + "/b").status, 404);
  }
}

TEST_F(BranchLogTest, ConflictingCreatesThroughTwoNodesAtOnce_OneWinsOnEveryNode) {
  ASSERT_EQ(create_tenant(0).status, 201);
  for (int round = 0; round < 5; ++round) {
    const std::string name = "x" + std::to_string(round);
    auto through = [&](int node, std::string timeline) {
      return std::async(std::launch::async, [=, this] {
        return call(node, "POST", branches_path(),
                    R"({"name":")" + name + R"(","timeline_id":")" + timeline + R"("})");
      });
    };
    // Distinct ids each round: a deleted branch's timeline id is never handed out again.
    const std::string round_digit = std::to_string(round);
    auto first = through(0, "0000000000000000000000000000a1" + round_digit + "0");
    auto second = through(2, "0000000000000000000000000000a2" + round_digit + "0");
    const Reply a = first.get();
    const Reply b = second.get();
    const std::multiset<int> statuses{a.status, b.status};
    ASSERT_EQ(statuses, (std::multiset<int>{201, 409})) << json::serialize(a.body) << "\n"
                                                        << json::serialize(b.body);
    const std::string winner = text(a.status == 201 ? a.body : b.body, "timeline_id");
    for (int i = 0; i < 3; ++i) {
      EXPECT_EQ(text(call(i, "GET", branches_path() + "/" + name).body, "timeline_id"), winner);
    }
    ASSERT_EQ(call(0, "DELETE", branches_path() + "/" + name).status, 200);
  }
}

TEST_F(BranchLogTest, AfterEveryNodeIsKilledAndRestarted_EveryViewIsTheSame) {
  ASSERT_EQ(create_tenant(0).status, 201);
  for (int i = 0; i < 6; ++i) {
    ASSERT_EQ(
        call(i % 3, "POST", branches_path(), R"({"name":"n)" + std::to_string(i) + R"("})").status,
        201);
  }
  ASSERT_EQ(call(1, "DELETE", branches_path() + "/n2").status, 200);
  const std::string before = json::serialize(call(0, "GET", branches_path()).body);
  for (int i = 0; i < 3; ++i) {
    cluster_->kill(i);
  }
  for (int i = 0; i < 3; ++i) {
    ASSERT_TRUE(cluster_->start(i));
  }
  for (int i = 0; i < 3; ++i) {
    EXPECT_TRUE(poll_until(
        cluster_->node(i).process,
        [&] { return json::serialize(call(i, "GET", branches_path()).body) == before; },
        std::chrono::seconds(10)))
        << "node " << i + 1 << ": " << json::serialize(call(i, "GET", branches_path()).body)
        << "\nexpected " << before;
  }
}

}  // namespace
}  // namespace sk::testing
