// IdentityCheck on a real data directory: how many peers must record a new incarnation, that
// nothing but greetings is served until they have, that the confirmation is durable, and that a
// peer back with another incarnation is refused.
#include "safekeeper/server/identity_check.h"

#include <gtest/gtest.h>

#include "tests/support/temp_dir.h"

namespace sk::safekeeper {
namespace {

using consensus::NodeId;
using sk::testing::TempDir;

std::unique_ptr<Node> open_node(const TempDir& dir, NodeId id) {
  Node::Report report;
  auto node = Node::open({.node_id = id, .data_dir = dir.path(), .timeline = {}}, report);
  EXPECT_TRUE(node.has_value()) << node.error().to_string();
  return node ? std::move(*node) : nullptr;
}

TEST(IdentityCheckTest, ConfirmationsNeeded_AreMoreThanHalfOfTheOthers) {
  EXPECT_EQ(IdentityCheck::confirmations_needed(1), 0u);
  EXPECT_EQ(IdentityCheck::confirmations_needed(2), 1u);
  EXPECT_EQ(IdentityCheck::confirmations_needed(3), 2u);
  EXPECT_EQ(IdentityCheck::confirmations_needed(4), 2u);
  EXPECT_EQ(IdentityCheck::confirmations_needed(5), 3u);
  for (std::size_t n = 2; n <= 9; ++n) {
    const std::size_t needed = IdentityCheck::confirmations_needed(n);
    const std::size_t others = n - 1;
    EXPECT_LE(needed, others) << n;
    EXPECT_GT(2 * needed, others) << n << ": two sets of confirming peers must share one";
  }
}

TEST(IdentityCheckTest, ANewDirectory_ServesOnlyOnceEnoughMembersAdmittedIt_Durably) {
  TempDir dir("identity_check");
  {
    auto node = open_node(dir, NodeId(1));
    ASSERT_NE(node, nullptr);
    IdentityCheck check(*node, {NodeId(1), NodeId(2), NodeId(3), NodeId(4), NodeId(5)});
    EXPECT_FALSE(check.confirmed());
    ASSERT_FALSE(check.serving().has_value());
    EXPECT_EQ(check.serving().error().code(), ErrorCode::kUnavailable);
    // Itself, a non-member and a repeat do not count.
    check.on_admitted(NodeId(1));
    check.on_admitted(NodeId(9));
    check.on_admitted(NodeId(2));
    check.on_admitted(NodeId(2));
    check.on_admitted(NodeId(3));
    EXPECT_FALSE(check.confirmed()) << check.describe();
    EXPECT_NE(check.describe().find("waiting for 3 of the other 4 nodes"), std::string::npos)
        << check.describe();
    EXPECT_NE(check.describe().find("(2 have)"), std::string::npos) << check.describe();
    check.on_admitted(NodeId(5));
    EXPECT_TRUE(check.confirmed());
    EXPECT_TRUE(check.serving().has_value());
    EXPECT_EQ(check.describe(), "confirmed");
  }
  auto node = open_node(dir, NodeId(1));
  ASSERT_NE(node, nullptr);
  IdentityCheck check(*node, {NodeId(1), NodeId(2), NodeId(3), NodeId(4), NodeId(5)});
  EXPECT_TRUE(check.confirmed());
}

TEST(IdentityCheckTest, AloneInItsCluster_ANewDirectoryIsConfirmedAtOnce) {
  TempDir dir("identity_check");
  auto node = open_node(dir, NodeId(1));
  ASSERT_NE(node, nullptr);
  IdentityCheck check(*node, {NodeId(1)});
  EXPECT_TRUE(check.confirmed());
  EXPECT_TRUE(node->incarnation_confirmed());
}

TEST(IdentityCheckTest, APeerBackWithAnotherIncarnation_IsRefused_ItsFirstIsKept) {
  TempDir dir("identity_check");
  auto node = open_node(dir, NodeId(1));
  ASSERT_NE(node, nullptr);
  IdentityCheck check(*node, {NodeId(1), NodeId(2), NodeId(3)});
  EXPECT_TRUE(check.admit(NodeId(2), 0xaaaa).has_value());
  EXPECT_TRUE(check.admit(NodeId(2), 0xaaaa).has_value());
  const Status wiped = check.admit(NodeId(2), 0xbbbb);
  ASSERT_FALSE(wiped.has_value());
  EXPECT_EQ(wiped.error().code(), ErrorCode::kIdentityConflict);
  EXPECT_NE(wiped.error().message().find("000000000000aaaa"), std::string::npos)
      << wiped.error().message();
  EXPECT_NE(wiped.error().message().find("must join under a new id"), std::string::npos);
  EXPECT_TRUE(check.admit(NodeId(2), 0xaaaa).has_value());
  // This node's own greeting (its writer is one of its acceptors' proposers) is not recorded.
  EXPECT_TRUE(check.admit(NodeId(1), 0xcccc).has_value());
  EXPECT_TRUE(check.admit(NodeId(1), 0xdddd).has_value());
}

}  // namespace
}  // namespace sk::safekeeper
