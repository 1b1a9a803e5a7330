// The snapshot a start of a branch restores from (branchmgr/snapshot_choice.h), by level of its
// ancestry: fix (branch of dev at 0x7000) <- dev (branch of main at 0x5000) <- main.
#include "branchmgr/snapshot_choice.h"

#include <string>
#include <vector>

#include <gtest/gtest.h>

namespace sk::branchmgr {
namespace {

using consensus::Lsn;

const std::vector<std::optional<Lsn>> kFixDevMain = {Lsn(0x7000), Lsn(0x5000), std::nullopt};
constexpr std::size_t kFix = 0;
constexpr std::size_t kDev = 1;
constexpr std::size_t kMain = 2;

struct Case {
  std::string scenario;
  std::vector<std::optional<Lsn>> branch_lsns;
  Lsn point;
  std::vector<SnapshotCandidate> candidates;
  std::optional<std::size_t> chosen;
};

TEST(ChooseSnapshotTest, TheNewestOneEndingBeforeTheLogLeavesItsLevel) {
  const std::vector<Case> cases = {
      {"nothing registered", kFixDevMain, consensus::kMaxLsn, {}, std::nullopt},
      {"an ancestor's snapshot past the branch point is not the branch's",
       kFixDevMain,
       consensus::kMaxLsn,
       {{kMain, Lsn(0x6000)}, {kDev, Lsn(0x7500)}},
       std::nullopt},
      {"the newest of the root before dev left it",
       kFixDevMain,
       consensus::kMaxLsn,
       {{kMain, Lsn(0x3000)}, {kMain, Lsn(0x4800)}, {kMain, Lsn(0x6000)}},
       1},
      {"one of the branch itself beats its ancestors'",
       kFixDevMain,
       consensus::kMaxLsn,
       {{kMain, Lsn(0x4000)}, {kDev, Lsn(0x6800)}, {kFix, Lsn(0x8000)}},
       2},
      {"one ending past the point is not usable",
       kFixDevMain,
       Lsn(0x7800),
       {{kMain, Lsn(0x4000)}, {kDev, Lsn(0x6800)}, {kFix, Lsn(0x8000)}},
       1},
      {"a branch point below the parent's own bounds every higher level",
       {Lsn(0x4000), Lsn(0x5000), std::nullopt},
       Lsn(0x4000),
       {{kMain, Lsn(0x4800)}, {kMain, Lsn(0x3000)}},
       1},
      {"a tie goes to the level nearer the branch",
       kFixDevMain,
       consensus::kMaxLsn,
       {{kDev, Lsn(0x5000)}, {kFix, Lsn(0x7000)}, {kDev, Lsn(0x7000)}},
       1},
      {"a tie on one level goes to the one listed first",
       kFixDevMain,
       consensus::kMaxLsn,
       {{kMain, Lsn(0x3000)}, {kMain, Lsn(0x3000)}},
       0},
      {"a level outside the ancestry is never chosen",
       kFixDevMain,
       consensus::kMaxLsn,
       {{3, Lsn(0x1000)}},
       std::nullopt},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.scenario);
    EXPECT_EQ(choose_snapshot(c.branch_lsns, c.point, c.candidates), c.chosen);
  }
}

}  // namespace
}  // namespace sk::branchmgr
