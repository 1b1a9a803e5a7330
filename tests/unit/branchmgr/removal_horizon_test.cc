// The removal horizon: each holder alone decides it, with its name; and what the live branches
// need of a timeline, through the snapshots a start of each would restore from.
#include "branchmgr/removal_horizon.h"

#include <gtest/gtest.h>

#include "test_entries.h"

namespace sk::branchmgr {
namespace {

using consensus::Lsn;
using testing::branch;
using testing::entry;
using testing::id_of;
using testing::tenant_id;
using testing::timeline_id;

constexpr Lsn kRootStart(0x1000000);

// A timeline from kRootStart committed up to `commit`, with no holder yet.
RemovalInputs inputs_at(Lsn commit) {
  RemovalInputs inputs;
  inputs.timeline_start = kRootStart;
  inputs.commit_lsn = commit;
  return inputs;
}

TEST(RemovalHorizonTest, EachHolderAloneDecides_WithItsName) {
  RemovalInputs none = inputs_at(Lsn(0x9000000));
  none.retention = HeldFrom{Lsn(0xA000000), "retention 7d"};
  EXPECT_EQ(removal_horizon(none), (HeldFrom{Lsn(0x9000000), "not yet committed"}));

  RemovalInputs retention = none;
  retention.retention = HeldFrom{Lsn(0x5000000), "retention 7d"};
  EXPECT_EQ(removal_horizon(retention), *retention.retention);

  RemovalInputs slots = retention;
  slots.slots = {{Lsn(0x6000000), "slot a"}, {Lsn(0x4000000), "slot b"}};
  EXPECT_EQ(removal_horizon(slots), (HeldFrom{Lsn(0x4000000), "slot b"}));

  RemovalInputs branches = slots;
  branches.branches = HeldFrom{Lsn(0x3000000), "branch 'dev'"};
  EXPECT_EQ(removal_horizon(branches), *branches.branches);

  RemovalInputs peer = branches;
  peer.lagging_peer = HeldFrom{Lsn(0x2000000), "peer horizon"};
  EXPECT_EQ(removal_horizon(peer), *peer.lagging_peer);
}

TEST(RemovalHorizonTest, ATimelineNoBranchUses_KeepsAllItsWal) {
  RemovalInputs inputs = inputs_at(Lsn(0x9000000));
  inputs.lagging_peer = HeldFrom{Lsn(0x8000000), "peer horizon"};
  EXPECT_EQ(removal_horizon(inputs), (HeldFrom{kRootStart, "no branch uses the timeline"}));
}

TEST(RemovalHorizonTest, NothingAtOrAboveTheCommitLsnGoes_AndATieKeepsTheFirstHolder) {
  RemovalInputs inputs = inputs_at(Lsn(0x2000000));
  inputs.retention = HeldFrom{Lsn(0x7000000), "retention 1h"};
  inputs.branches = HeldFrom{Lsn(0x8000000), "branch 'main'"};
  EXPECT_EQ(removal_horizon(inputs).holder, "not yet committed");
  inputs.retention->lsn = Lsn(0x2000000);
  EXPECT_EQ(removal_horizon(inputs).holder, "not yet committed");
}

TEST(RemovalHorizonTest, FirstKeptSegment_IsTheOneHoldingTheHorizon) {
  constexpr std::uint64_t kSeg = 16 << 20;
  EXPECT_EQ(first_kept_segment(Lsn(0x3000000), kSeg), 3U);  // A segment start: 0..2 go.
  EXPECT_EQ(first_kept_segment(Lsn(0x3FFFFF8), kSeg), 3U);
  EXPECT_EQ(first_kept_segment(Lsn(0x1000028), kSeg), 1U);
}

class NeededByBranchesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    apply(proto::TenantCreated{tenant_id(1), "acme"});
    apply(branch(1, "main", 1, std::nullopt, 0));
  }
  void apply(proto::BranchLogChange change) {
    ASSERT_FALSE(view_.apply(entry(std::move(change))).error);
  }
  void snapshot(std::uint8_t id, std::uint8_t timeline, std::uint64_t start, std::uint64_t end) {
    apply(proto::SnapshotRegistered{tenant_id(1), id_of<consensus::SnapshotId>(id),
                                    timeline_id(timeline), Lsn(start), Lsn(end), "/s", "", 0});
  }
  std::optional<HeldFrom> needed(std::uint8_t timeline) const {
    return needed_by_branches(view_, tenant_id(1), timeline_id(timeline), kRootStart);
  }
  static std::string snapshot_holder(std::uint8_t id, const std::string& branch) {
    return "snapshot " + id_of<consensus::SnapshotId>(id).to_hex() + " (branch '" + branch + "')";
  }

  BranchView view_;
};

TEST_F(NeededByBranchesTest, WithoutASnapshot_TheWholeTimelineIsNeeded) {
  EXPECT_EQ(needed(1), (HeldFrom{kRootStart, "branch 'main'"}));
}

TEST_F(NeededByBranchesTest, TheSnapshotAStartUses_HoldsFromItsStart) {
  snapshot(1, 1, 0x2000000, 0x2100000);
  snapshot(2, 1, 0x4000000, 0x4100000);
  EXPECT_EQ(needed(1), (HeldFrom{Lsn(0x4000000), snapshot_holder(2, "main")}));
}

TEST_F(NeededByBranchesTest, AChildsBranchPoint_HoldsTheParentFromTheSnapshotBelowIt) {
  snapshot(1, 1, 0x2000000, 0x2100000);
  apply(branch(1, "dev", 2, 1, 0x3000000));
  snapshot(2, 1, 0x4000000, 0x4100000);  // Newer than dev's branch point: dev cannot use it.
  // dev restores from snapshot 1 (on main, below its branch point): main from there, and dev's
  // own timeline from its beginning.
  EXPECT_EQ(needed(1), (HeldFrom{Lsn(0x2000000), snapshot_holder(1, "dev")}));
  EXPECT_EQ(needed(2), (HeldFrom{Lsn(0x3000000), "branch 'dev'"}));

  // With a snapshot of its own, dev's head needs none of main; its start where it leaves main
  // (a branch there, or time travel to it) still does.
  snapshot(3, 2, 0x5000000, 0x5100000);
  EXPECT_EQ(needed(2), (HeldFrom{Lsn(0x5000000), snapshot_holder(3, "dev")}));
  EXPECT_EQ(needed(1), (HeldFrom{Lsn(0x2000000), snapshot_holder(1, "dev")}));
}

TEST_F(NeededByBranchesTest, ADeletedOrResetBranchsTimeline_IsNeededByNone) {
  apply(branch(1, "dev", 2, 1, 0x3000000));
  apply(proto::BranchDeleted{tenant_id(1), timeline_id(2)});
  EXPECT_EQ(needed(2), std::nullopt);
  apply(branch(1, "qa", 3, 1, 0x3000000));
  apply(proto::BranchReset{tenant_id(1), timeline_id(3), timeline_id(4), Lsn(0x6000000)});
  EXPECT_EQ(needed(3), std::nullopt);
  EXPECT_EQ(needed(4), (HeldFrom{Lsn(0x6000000), "branch 'qa'"}));
  EXPECT_EQ(needed(1), (HeldFrom{kRootStart, "branch 'main'"}));
}

}  // namespace
}  // namespace sk::branchmgr
