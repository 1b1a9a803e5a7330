// `walproposer --sync-safekeepers`: what a replacement primary runs before it starts. Without a
// primary it gets elected, makes a majority hold the most advanced log in its own term, and
// prints the LSN where that log ends: never below anything committed before, and held byte for
// byte by a majority when it returns.
#include <gtest/gtest.h>

#include "tests/integration/cluster_fixture.h"

namespace sk::testing {
namespace {

using consensus::Lsn;

class SyncSafekeepersTest : public ClusterTest {};

TEST_F(SyncSafekeepersTest, AllInSync_PrintsTheCommittedEndInANewTerm) {
  ChildProcess loadgen = start_loadgen({"--bytes", "4000000", "--wait-all", "1"}, "loadgen.log");
  ASSERT_EQ(loadgen.wait_exit(std::chrono::seconds(120)), std::optional<int>(0))
      << file_text(dir_.path() / "loadgen.log");
  const auto summary = loadgen_summary(dir_.path() / "loadgen.log");
  ASSERT_TRUE(summary.has_value());
  const Lsn committed = lsn_field(*summary, "committed_lsn");

  ChildProcess sync = start_sync("sync.log");
  ASSERT_EQ(sync.wait_exit(std::chrono::seconds(60)), std::optional<int>(0))
      << file_text(dir_.path() / "sync.log");
  EXPECT_EQ(printed_lsn("sync.log"), std::optional<Lsn>(committed))
      << file_text(dir_.path() / "sync.log");
  auto state = timeline(0);
  ASSERT_TRUE(state.has_value());
  EXPECT_GT(state->at("term").as_int64(), summary->at("term").as_int64());
}

TEST_F(SyncSafekeepersTest, AfterTheProposerDiedMidStream_AMajorityHoldsThePrintedEnd) {
  // A proposer killed while streaming leaves the nodes at different flush points, some of them
  // past the last commit.
  ChildProcess loadgen =
      start_loadgen({"--bytes", "200000000", "--outstanding", "64"}, "loadgen.log");
  ASSERT_TRUE(poll_until(
      loadgen, [&] { return commit_lsn(0) >= Lsn(0x1000000 + 8 * 1024 * 1024); },
      std::chrono::seconds(60)))
      << states();
  loadgen.kill_and_wait();
  Lsn committed_before;
  for (int i = 0; i < cluster_->size(); ++i) {
    committed_before = std::max(committed_before, commit_lsn(i));
  }

  ChildProcess sync = start_sync("sync.log");
  ASSERT_EQ(sync.wait_exit(std::chrono::seconds(60)), std::optional<int>(0))
      << file_text(dir_.path() / "sync.log");
  const auto printed = printed_lsn("sync.log");
  ASSERT_TRUE(printed.has_value()) << file_text(dir_.path() / "sync.log");
  EXPECT_GE(*printed, committed_before);
  // A majority holds [start, printed) identically.
  const Lsn start = Lsn::parse(kStartLsn).value();
  std::map<std::string, int> holders;
  for (int i = 0; i < cluster_->size(); ++i) {
    if (flush_lsn(i) >= *printed) {
      ++holders[digest(i, start, *printed)];
    }
  }
  int most = 0;
  for (const auto& [digest, count] : holders) {
    most = std::max(most, digest.empty() ? 0 : count);
  }
  EXPECT_GE(most, 2) << states() << "printed " << printed->to_string();
}

}  // namespace
}  // namespace sk::testing
