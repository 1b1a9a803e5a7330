#include "branchmgr/commit_times.h"

#include <gtest/gtest.h>

namespace sk::branchmgr {
namespace {

using consensus::Lsn;

constexpr std::int64_t kNow = 1'000'000;

LsnForTimestamp resolve(const CommitTimes& commits, std::int64_t t, Lsn limit = Lsn(UINT64_MAX)) {
  const AncestryLevel level{&commits, limit};
  return lsn_for_timestamp(std::span(&level, 1), t, kNow);
}

TEST(CommitTimesTest, AsOfT_IsTheEndOfTheLastCommitBeforeTheFirstLaterOne) {
  CommitTimes commits;
  commits.add(100, Lsn(0x1000));
  commits.add(200, Lsn(0x2000));
  commits.add(300, Lsn(0x3000));

  EXPECT_EQ(resolve(commits, 99).kind, TimestampKind::kBeforeData);
  EXPECT_FALSE(resolve(commits, 99).lsn.has_value());
  EXPECT_EQ(resolve(commits, 100).lsn, Lsn(0x1000));  // Inclusive, as recovery_target_time.
  EXPECT_EQ(resolve(commits, 250).kind, TimestampKind::kPast);
  EXPECT_EQ(resolve(commits, 250).lsn, Lsn(0x2000));
  EXPECT_EQ(resolve(commits, 300).kind, TimestampKind::kPresent);
  EXPECT_EQ(resolve(commits, 300).lsn, Lsn(0x3000));
  EXPECT_EQ(resolve(commits, kNow + 1).kind, TimestampKind::kFuture);
  EXPECT_EQ(resolve(commits, kNow + 1).lsn, Lsn(0x3000));
  EXPECT_EQ(resolve(CommitTimes(), 500).kind, TimestampKind::kBeforeData);
}

TEST(CommitTimesTest, OutOfOrderTimes_StopAtTheFirstLaterCommitInWalOrder) {
  CommitTimes commits;
  commits.add(100, Lsn(0x1000));
  commits.add(300, Lsn(0x2000));  // Committed "later" but written first.
  commits.add(250, Lsn(0x3000));
  // Replay as of 260 stops before the commit of time 300, though 250 came after it.
  EXPECT_EQ(resolve(commits, 260).lsn, Lsn(0x1000));
  EXPECT_EQ(resolve(commits, 300).lsn, Lsn(0x3000));
}

TEST(CommitTimesTest, Ancestry_ParentsCommitsCountOnlyUpToTheBranchPoint) {
  CommitTimes parent;
  parent.add(100, Lsn(0x1000));
  parent.add(200, Lsn(0x2000));
  parent.add(300, Lsn(0x3000));  // After the branch point: not the child's history.
  CommitTimes child;
  child.add(400, Lsn(0x2800));
  child.add(500, Lsn(0x2900));
  const std::vector<AncestryLevel> chain{{&parent, Lsn(0x2000)}, {&child, Lsn(UINT64_MAX)}};

  EXPECT_EQ(lsn_for_timestamp(chain, 150, kNow).lsn, Lsn(0x1000));
  // 300 was committed on the parent after the branch point: the child's history has nothing
  // between 200 and 400.
  EXPECT_EQ(lsn_for_timestamp(chain, 350, kNow).lsn, Lsn(0x2000));
  EXPECT_EQ(lsn_for_timestamp(chain, 350, kNow).kind, TimestampKind::kPast);
  EXPECT_EQ(lsn_for_timestamp(chain, 450, kNow).lsn, Lsn(0x2800));
  EXPECT_EQ(lsn_for_timestamp(chain, 600, kNow).kind, TimestampKind::kPresent);
  EXPECT_EQ(lsn_for_timestamp(chain, 50, kNow).kind, TimestampKind::kBeforeData);
  // A level without an index (no WAL indexed there) adds nothing.
  const std::vector<AncestryLevel> gap{{&parent, Lsn(0x2000)}, {nullptr, Lsn(UINT64_MAX)}};
  EXPECT_EQ(lsn_for_timestamp(gap, 600, kNow).lsn, Lsn(0x2000));
}

}  // namespace
}  // namespace sk::branchmgr
