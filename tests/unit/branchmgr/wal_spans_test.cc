// wal_spans(): a branch's log composed of its ancestors' timelines.
#include "branchmgr/wal_spans.h"

#include <gtest/gtest.h>

#include "tests/unit/branchmgr/test_entries.h"

namespace sk::branchmgr {
namespace {

using consensus::kMaxLsn;
using consensus::Lsn;
using testing::timeline_id;

Branch level(std::uint8_t timeline, std::optional<std::uint8_t> parent, std::uint64_t lsn) {
  Branch b;
  b.timeline_id = timeline_id(timeline);
  if (parent) {
    b.parent_timeline_id = timeline_id(*parent);
  }
  b.branch_lsn = Lsn(lsn);
  return b;
}

TEST(WalSpans, RootIsItsOwnTimelineFromTheStart) {
  EXPECT_EQ(wal_spans({level(1, std::nullopt, 0)}),
            (std::vector<WalSpan>{{timeline_id(1), Lsn(0), kMaxLsn}}));
}

TEST(WalSpans, ThreeLevelsEachUpToItsChildsBranchPoint) {
  // main (1) -> dev (2) at 0x5000 -> fix (3) at 0x7000 of dev.
  const std::vector<Branch> ancestry{level(3, 2, 0x7000), level(2, 1, 0x5000),
                                     level(1, std::nullopt, 0)};
  EXPECT_EQ(wal_spans(ancestry), (std::vector<WalSpan>{{timeline_id(1), Lsn(0), Lsn(0x5000)},
                                                       {timeline_id(2), Lsn(0x5000), Lsn(0x7000)},
                                                       {timeline_id(3), Lsn(0x7000), kMaxLsn}}));
}

TEST(WalSpans, ABranchOfABranchAtOrBeforeItsParentsPointSkipsTheParent) {
  // fix (3) left dev (2) at dev's own branch point: nothing of dev's WAL is in fix's log.
  const std::vector<Branch> ancestry{level(3, 2, 0x5000), level(2, 1, 0x5000),
                                     level(1, std::nullopt, 0)};
  EXPECT_EQ(wal_spans(ancestry), (std::vector<WalSpan>{{timeline_id(1), Lsn(0), Lsn(0x5000)},
                                                       {timeline_id(3), Lsn(0x5000), kMaxLsn}}));
}

}  // namespace
}  // namespace sk::branchmgr
