// The snapshot a new compute starts from, and the segments it needs.
#include "safekeeper/skctl/restore_plan.h"

#include <gtest/gtest.h>

namespace sk::skctl {
namespace {

using consensus::Lsn;

SnapshotInfo snapshot(std::string id, std::string timeline, std::uint64_t end) {
  return {std::move(id), std::move(timeline), Lsn(end - 0x100), Lsn(end), "", ""};
}

// fix (branch of dev at 0x7000) <- dev (branch of main at 0x5000) <- main.
const std::vector<AncestryLevel> kAncestry = {
    {"fix", Lsn(0x7000)}, {"dev", Lsn(0x5000)}, {"main", std::nullopt}};

TEST(ChooseSnapshot, TheNewestThatEndsBeforeTheBranchLeavesItsTimeline) {
  const std::vector<SnapshotInfo> snapshots = {
      snapshot("main-early", "main", 0x3000), snapshot("main-late", "main", 0x4800),
      snapshot("main-after-dev-left", "main", 0x6000),  // Not in dev's history.
      snapshot("dev-after-fix-left", "dev", 0x7500),    // Not in fix's history.
  };
  auto chosen = choose_snapshot(kAncestry, Lsn(0x9000), snapshots);
  ASSERT_TRUE(chosen);
  EXPECT_EQ(chosen->snapshot_id, "main-late");
}

TEST(ChooseSnapshot, ASnapshotOfAnAncestorBelowTheBranchPointWins) {
  const std::vector<SnapshotInfo> snapshots = {snapshot("main", "main", 0x4000),
                                               snapshot("dev", "dev", 0x6800),
                                               snapshot("fix-own", "fix", 0x8000)};
  EXPECT_EQ(choose_snapshot(kAncestry, Lsn(0x9000), snapshots)->snapshot_id, "fix-own");
  // fix's own snapshot ends past fix's head as seen: not usable.
  EXPECT_EQ(choose_snapshot(kAncestry, Lsn(0x7800), snapshots)->snapshot_id, "dev");
}

TEST(ChooseSnapshot, ABranchPointBelowItsParentsBoundsEveryHigherLevel) {
  // low (branch of dev at 0x4000, below dev's own point 0x5000): dev's WAL is not in it.
  const std::vector<AncestryLevel> ancestry = {
      {"low", Lsn(0x4000)}, {"dev", Lsn(0x5000)}, {"main", std::nullopt}};
  const std::vector<SnapshotInfo> snapshots = {snapshot("main-4800", "main", 0x4800),
                                               snapshot("main-3000", "main", 0x3000)};
  EXPECT_EQ(choose_snapshot(ancestry, Lsn(0x4000), snapshots)->snapshot_id, "main-3000");
}

TEST(ChooseSnapshot, NoneUsable) {
  EXPECT_FALSE(choose_snapshot(kAncestry, Lsn(0x9000), {snapshot("other", "elsewhere", 0x1000)}));
}

TEST(SegmentsBetween, FromTheStartsSegmentToTheOneHoldingTheLastByte) {
  constexpr std::uint64_t kSeg = 16 << 20;
  EXPECT_EQ(segments_between(Lsn(2 * kSeg + 0x28), Lsn(3 * kSeg + 0x100), kSeg),
            (std::vector<std::uint64_t>{2, 3}));
  EXPECT_EQ(segments_between(Lsn(2 * kSeg + 0x28), Lsn(3 * kSeg), kSeg),
            (std::vector<std::uint64_t>{2}));
  EXPECT_TRUE(segments_between(Lsn(kSeg), Lsn(kSeg), kSeg).empty());
}

}  // namespace
}  // namespace sk::skctl
