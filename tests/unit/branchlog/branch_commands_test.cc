// BranchCommands decides with the ids and the clock it is given (so a test decides them too),
// and refuses what names nothing with the view's one message. A node on a temporary data
// directory without a branch log: its view is empty.
#include "safekeeper/branchlog/branch_commands.h"

#include <gtest/gtest.h>

#include "tests/support/temp_dir.h"

namespace sk::safekeeper {
namespace {

constexpr std::int64_t kNowUs = 1'764'000'000'000'000;

class BranchCommandsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    Node::Report report;
    NodeOptions options;
    options.node_id = consensus::NodeId(1);
    options.data_dir = dir_.path();
    auto node = Node::open(options, report);
    ASSERT_TRUE(node.has_value()) << node.error().to_string();
    node_ = std::move(*node);
    auto lookup = [this](const storage::TimelineKey& key) { return node_->timeline(key); };
    applier_ = std::make_unique<BranchLogApplier>(lookup);
    composed_ = std::make_unique<ComposedWal>(lookup, applier_.get());
    commit_times_ = std::make_unique<CommitTimeIndexer>(*node_);
    // Each id is filled from counting words: 1, 2, ...
    commands_ = std::make_unique<BranchCommands>(
        *node_, *applier_, *composed_, *commit_times_,
        BranchCommands::Sources{[this] { return ++words_; }, [] { return kNowUs; }});
  }

  sk::testing::TempDir dir_{"sk_branch_commands"};
  std::unique_ptr<Node> node_;
  std::unique_ptr<BranchLogApplier> applier_;
  std::unique_ptr<ComposedWal> composed_;
  std::unique_ptr<CommitTimeIndexer> commit_times_;
  std::unique_ptr<BranchCommands> commands_;
  std::uint64_t words_ = 0;
};

TEST_F(BranchCommandsTest, ANewTenant_TakesItsIdProposalIdAndTimeFromTheSources) {
  auto decision = commands_->create_tenant({std::nullopt, "acme", std::nullopt});
  ASSERT_TRUE(decision.has_value()) << decision.error().to_string();
  const auto* entry = std::get_if<proto::BranchLogEntry>(&*decision);
  ASSERT_NE(entry, nullptr);
  EXPECT_EQ(entry->proposed_at_us, kNowUs);
  const auto* created = std::get_if<proto::TenantCreated>(&entry->change);
  ASSERT_NE(created, nullptr);
  EXPECT_EQ(created->name, "acme");
  // The tenant id took words 1 and 2 (little-endian), the proposal id words 3 and 4.
  EXPECT_EQ(created->tenant_id.to_hex(), "01000000000000000200000000000000");
  EXPECT_EQ(entry->proposal_id.to_hex(), "03000000000000000400000000000000");
}

TEST_F(BranchCommandsTest, WhatNamesNothing_IsRefusedWithTheViewsMessage) {
  const consensus::TenantId tenant =
      *consensus::TenantId::parse_hex("0123456789abcdef0123456789abcdef");
  CreateBranchRequest request;
  request.name = "dev";
  auto branch = commands_->create_branch(tenant, request);
  ASSERT_FALSE(branch.has_value());
  EXPECT_EQ(branch.error().code(), ErrorCode::kNotFound);
  EXPECT_EQ(branch.error().message(), commands_->view().find_tenant(tenant).error().message());
  auto deleted = commands_->delete_branch(tenant, "feature/x");
  ASSERT_FALSE(deleted.has_value());
  EXPECT_EQ(deleted.error().message(),
            "branch 'feature/x' does not exist in tenant 0123456789abcdef0123456789abcdef");
  EXPECT_EQ(words_, 0U) << "a refusal spends no ids";
}

TEST_F(BranchCommandsTest, HistoryRetention_OutsideThisNodesLimits_IsRefusedBeforeProposing) {
  const std::uint64_t words_before = words_;
  for (std::uint64_t seconds : {59ULL, 31ULL * 86400}) {
    auto refused = commands_->create_tenant({std::nullopt, "t", seconds});
    ASSERT_FALSE(refused.has_value()) << seconds;
    EXPECT_EQ(refused.error().code(), ErrorCode::kInvalidArgument);
    EXPECT_NE(refused.error().message().find("must be from 1h to 30d"), std::string::npos)
        << refused.error().message();
  }
  EXPECT_EQ(words_, words_before) << "a refusal spends no ids";
  auto accepted = commands_->create_tenant({std::nullopt, "t", 86400});
  ASSERT_TRUE(accepted.has_value()) << accepted.error().to_string();
  const auto& entry = std::get<proto::BranchLogEntry>(*accepted);
  EXPECT_EQ(std::get<proto::TenantCreated>(entry.change).history_retention_s, 86400U);
}

}  // namespace
}  // namespace sk::safekeeper
