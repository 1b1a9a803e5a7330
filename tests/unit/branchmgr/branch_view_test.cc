#include "branchmgr/branch_view.h"

#include <gtest/gtest.h>

#include "test_entries.h"

namespace sk::branchmgr {
namespace {

using consensus::Lsn;
using testing::branch;
using testing::entry;
using testing::tenant_id;
using testing::timeline_id;

class BranchViewTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_FALSE(apply(proto::TenantCreated{tenant_id(1), "acme"}).error);
    ASSERT_FALSE(apply(branch(1, "main", 1, std::nullopt, 0)).error);
  }

  Outcome apply(proto::BranchLogChange change, std::int64_t at_us = 1000) {
    return view_.apply(entry(std::move(change), at_us));
  }

  static ErrorCode code_of(const Outcome& outcome) {
    return outcome.error ? outcome.error->code() : ErrorCode::kInternal;
  }

  BranchView view_;
};

TEST_F(BranchViewTest, HistoryRetention_DefaultsTo7Days_AndChangesByItsEntry) {
  EXPECT_EQ(view_.tenant(tenant_id(1))->history_retention_s, kDefaultHistoryRetentionS);
  EXPECT_EQ(kDefaultHistoryRetentionS, 7U * 86400);
  ASSERT_FALSE(apply(proto::TenantCreated{tenant_id(2), "short", 120}).error);
  EXPECT_EQ(view_.tenant(tenant_id(2))->history_retention_s, 120U);

  const Outcome changed = apply(proto::TenantSettingsChanged{tenant_id(1), 86400});
  ASSERT_FALSE(changed.error);
  EXPECT_TRUE(changed.changed);
  EXPECT_EQ(std::get<Tenant>(changed.object).history_retention_s, 86400U);
  EXPECT_EQ(view_.tenant(tenant_id(1))->history_retention_s, 86400U);
  // Zero leaves the setting as it is; the same value again changes nothing.
  EXPECT_FALSE(apply(proto::TenantSettingsChanged{tenant_id(1), 0}).changed);
  EXPECT_FALSE(apply(proto::TenantSettingsChanged{tenant_id(1), 86400}).changed);
  EXPECT_EQ(view_.tenant(tenant_id(1))->history_retention_s, 86400U);

  const Outcome unknown = apply(proto::TenantSettingsChanged{tenant_id(9), 3600});
  EXPECT_EQ(code_of(unknown), ErrorCode::kNotFound);
  EXPECT_EQ(view_.tenant(tenant_id(9)), nullptr);
}

TEST_F(BranchViewTest, AProtectedBranch_RefusesDeleteAndReset_UntilUnprotected) {
  proto::BranchCreated dev = branch(1, "dev", 2, 1, 0x100);
  dev.is_protected = true;
  dev.expires_at_us = 5'000'000;
  ASSERT_FALSE(apply(dev).error);
  const proto::BranchDeleted delete_dev{tenant_id(1), timeline_id(2)};
  const proto::BranchReset reset_dev{tenant_id(1), timeline_id(2), timeline_id(8), Lsn(0x300)};
  for (const std::optional<Error>& refusal : {view_.check(delete_dev), view_.check(reset_dev)}) {
    ASSERT_TRUE(refusal.has_value());
    EXPECT_EQ(refusal->code(), ErrorCode::kFailedPrecondition);
    EXPECT_NE(refusal->message().find("branch 'dev' is protected"), std::string::npos);
  }
  EXPECT_EQ(code_of(apply(delete_dev)), ErrorCode::kFailedPrecondition);

  // Unprotected (expiry untouched), it resets, keeping its expiry, and then deletes.
  const Outcome unprotected =
      apply(proto::BranchSettingsChanged{tenant_id(1), timeline_id(2), false, std::nullopt});
  ASSERT_FALSE(unprotected.error);
  EXPECT_TRUE(unprotected.changed);
  EXPECT_FALSE(view_.branch_named(tenant_id(1), "dev")->is_protected);
  EXPECT_EQ(view_.branch_named(tenant_id(1), "dev")->expires_at_us, 5'000'000);
  ASSERT_FALSE(apply(reset_dev).error);
  EXPECT_EQ(view_.branch_named(tenant_id(1), "dev")->expires_at_us, 5'000'000);
  EXPECT_FALSE(
      apply(proto::BranchSettingsChanged{tenant_id(1), timeline_id(8), std::nullopt, 0}).error);
  EXPECT_EQ(view_.branch_named(tenant_id(1), "dev")->expires_at_us, 0);
  // The old timeline names no branch any more.
  EXPECT_EQ(code_of(apply(
                proto::BranchSettingsChanged{tenant_id(1), timeline_id(2), true, std::nullopt})),
            ErrorCode::kNotFound);
  EXPECT_FALSE(apply(proto::BranchDeleted{tenant_id(1), timeline_id(8)}).error);
}

TEST_F(BranchViewTest, Check_SaysWhatApplyingWouldRefuse_AndApplyRefusesTheSame) {
  ASSERT_FALSE(apply(branch(1, "dev", 2, 1, 0x100)).error);
  ASSERT_FALSE(apply(branch(1, "child", 3, 2, 0x200)).error);
  const proto::BranchDeleted delete_dev{tenant_id(1), timeline_id(2)};
  const proto::BranchReset reset_dev{tenant_id(1), timeline_id(2), timeline_id(8), Lsn(0x300)};
  const proto::BranchReset reset_main{tenant_id(1), timeline_id(1), timeline_id(8), Lsn(0x300)};
  const proto::BranchReset reset_to_taken{tenant_id(1), timeline_id(3), timeline_id(2), Lsn(0x300)};
  const proto::BranchCreated other_lsn = branch(1, "dev", 2, 1, 0x999);
  const proto::BranchCreated taken = branch(1, "new", 3, 1, 0x100);
  for (const proto::BranchLogChange& change : std::vector<proto::BranchLogChange>{
           delete_dev, reset_dev, reset_main, reset_to_taken, other_lsn, taken}) {
    const std::optional<Error> said = std::visit(
        [&](const auto& c) -> std::optional<Error> {
          if constexpr (requires { view_.check(c); }) {
            return view_.check(c);
          } else {
            return std::nullopt;
          }
        },
        change);
    ASSERT_TRUE(said.has_value());
    const Outcome applied = apply(change);
    ASSERT_TRUE(applied.error.has_value());
    EXPECT_EQ(applied.error->code(), said->code());
    EXPECT_EQ(applied.error->message(), said->message());
  }
  EXPECT_NE(view_.check(delete_dev)->message().find("'child'"), std::string::npos);
  EXPECT_NE(view_.check(reset_main)->message().find("root"), std::string::npos);
  // A repeat and a change that may go pass.
  EXPECT_FALSE(view_.check(branch(1, "dev", 2, 1, 0x100)).has_value());
  EXPECT_EQ(view_.repeats(branch(1, "dev", 2, 1, 0x100))->name, "dev");
  EXPECT_FALSE(view_.check(proto::BranchDeleted{tenant_id(1), timeline_id(3)}).has_value());
}

TEST_F(BranchViewTest, CreatedBranch_IsFoundByNameAndTimeline_WithItsAncestry) {
  const Outcome dev = apply(branch(1, "dev", 2, 1, 0x1000100), 2000);
  ASSERT_FALSE(dev.error) << dev.error->to_string();
  EXPECT_TRUE(dev.changed);
  const Outcome feature = apply(branch(1, "feature", 3, 2, 0x1000200));
  ASSERT_FALSE(feature.error);

  const Branch* found = view_.branch_named(tenant_id(1), "dev");
  ASSERT_NE(found, nullptr);
  EXPECT_EQ(found->timeline_id, timeline_id(2));
  EXPECT_EQ(found->branch_lsn, Lsn(0x1000100));
  EXPECT_EQ(found->created_at_us, 2000);
  EXPECT_EQ(view_.branch_with_timeline(tenant_id(1), timeline_id(2))->name, "dev");

  const std::vector<Branch> chain = view_.ancestry(*view_.branch_named(tenant_id(1), "feature"));
  ASSERT_EQ(chain.size(), 3u);
  EXPECT_EQ(chain[0].name, "feature");
  EXPECT_EQ(chain[1].name, "dev");
  EXPECT_EQ(chain[2].name, "main");
  EXPECT_EQ(view_.branches(tenant_id(1)).size(), 3u);
  EXPECT_TRUE(view_.branches(tenant_id(2)).empty());
}

TEST_F(BranchViewTest, IdenticalRepeat_ChangesNothing_OtherParametersConflict) {
  ASSERT_FALSE(apply(branch(1, "dev", 2, 1, 0x100)).error);
  // The server picked the timeline id the first time; a repeat lets it pick another.
  proto::BranchCreated repeat = branch(1, "dev", 9, 1, 0x100);
  repeat.timeline_id_chosen = false;
  const Outcome again = apply(repeat);
  ASSERT_FALSE(again.error);
  EXPECT_FALSE(again.changed);
  EXPECT_EQ(std::get<Branch>(again.object).timeline_id, timeline_id(2));

  const Outcome other_lsn = apply(branch(1, "dev", 2, 1, 0x200));
  EXPECT_EQ(code_of(other_lsn), ErrorCode::kAlreadyExists);
  const Outcome other_parent = apply(branch(1, "dev", 2, std::nullopt, 0x100));
  EXPECT_EQ(code_of(other_parent), ErrorCode::kAlreadyExists);
  EXPECT_FALSE(view_.timeline_used(timeline_id(9)));
}

TEST_F(BranchViewTest, UnknownTenantParentOrTakenTimeline_IsRefusedAndChangesNothing) {
  EXPECT_EQ(code_of(apply(branch(7, "dev", 2, 1, 0x100))), ErrorCode::kNotFound);
  EXPECT_EQ(code_of(apply(branch(1, "dev", 2, 5, 0x100))), ErrorCode::kNotFound);
  EXPECT_EQ(code_of(apply(branch(1, "dev", 1, 1, 0x100))), ErrorCode::kAlreadyExists);
  EXPECT_EQ(view_.branches(tenant_id(1)).size(), 1u);
}

TEST_F(BranchViewTest, Delete_IsRefusedWhileChildrenLive_AndKeepsParentAndSiblings) {
  ASSERT_FALSE(apply(branch(1, "a", 2, 1, 0x100)).error);
  ASSERT_FALSE(apply(branch(1, "b", 3, 1, 0x200)).error);
  ASSERT_FALSE(apply(branch(1, "a-child", 4, 2, 0x300)).error);

  EXPECT_EQ(code_of(apply(proto::BranchDeleted{tenant_id(1), timeline_id(2)})),
            ErrorCode::kFailedPrecondition);
  const Outcome child = apply(proto::BranchDeleted{tenant_id(1), timeline_id(4)});
  ASSERT_FALSE(child.error);
  EXPECT_EQ(std::get<Branch>(child.object).name, "a-child");
  ASSERT_FALSE(apply(proto::BranchDeleted{tenant_id(1), timeline_id(2)}).error);

  EXPECT_EQ(view_.branch_named(tenant_id(1), "a"), nullptr);
  ASSERT_NE(view_.branch_named(tenant_id(1), "b"), nullptr);
  ASSERT_NE(view_.branch_named(tenant_id(1), "main"), nullptr);
  EXPECT_EQ(view_.branch_named(tenant_id(1), "b")->branch_lsn, Lsn(0x200));
  // Deleted again: not found. The deleted timeline is never handed out again.
  EXPECT_EQ(code_of(apply(proto::BranchDeleted{tenant_id(1), timeline_id(2)})),
            ErrorCode::kNotFound);
  EXPECT_EQ(code_of(apply(branch(1, "a", 2, 1, 0x100))), ErrorCode::kAlreadyExists);
}

TEST_F(BranchViewTest, Reset_MovesTheNameToANewTimeline_RootAndParentsAreRefused) {
  ASSERT_FALSE(apply(branch(1, "dev", 2, 1, 0x100)).error);
  const Outcome reset =
      apply(proto::BranchReset{tenant_id(1), timeline_id(2), timeline_id(3), Lsn(0x900)}, 5000);
  ASSERT_FALSE(reset.error) << reset.error->to_string();
  const Branch* dev = view_.branch_named(tenant_id(1), "dev");
  ASSERT_NE(dev, nullptr);
  EXPECT_EQ(dev->timeline_id, timeline_id(3));
  EXPECT_EQ(dev->branch_lsn, Lsn(0x900));
  EXPECT_EQ(dev->updated_at_us, 5000);
  EXPECT_EQ(view_.branch_with_timeline(tenant_id(1), timeline_id(2)), nullptr);

  EXPECT_EQ(
      code_of(apply(proto::BranchReset{tenant_id(1), timeline_id(1), timeline_id(8), Lsn(0x900)})),
      ErrorCode::kFailedPrecondition);
  ASSERT_FALSE(apply(branch(1, "dev-child", 4, 3, 0x950)).error);
  EXPECT_EQ(
      code_of(apply(proto::BranchReset{tenant_id(1), timeline_id(3), timeline_id(8), Lsn(0xa00)})),
      ErrorCode::kFailedPrecondition);
}

TEST_F(BranchViewTest, RestoreInPlace_KeepsTheNameAndId_AndPreservesTheOldStateUnderANewName) {
  proto::BranchCreated dev = branch(1, "dev", 2, 1, 0x100);
  dev.expires_at_us = 9'000'000;
  ASSERT_FALSE(apply(dev).error);
  ASSERT_FALSE(apply(branch(1, "dev-child", 3, 2, 0x300)).error);
  // To its own past, preserving the old state: dev leaves its old timeline at 0x200.
  const Outcome restored =
      apply(proto::BranchRestored{tenant_id(1), timeline_id(2), timeline_id(4), timeline_id(2),
                                  Lsn(0x200), "dev-before-restore"},
            7000);
  ASSERT_FALSE(restored.error) << restored.error->to_string();
  const Branch* now = view_.branch_named(tenant_id(1), "dev");
  ASSERT_NE(now, nullptr);
  EXPECT_EQ(now->timeline_id, timeline_id(4));
  EXPECT_EQ(now->parent_timeline_id, timeline_id(2));
  EXPECT_EQ(now->branch_lsn, Lsn(0x200));
  EXPECT_EQ(now->updated_at_us, 7000);
  EXPECT_EQ(now->expires_at_us, 9'000'000);  // Kept, as a reset keeps it.
  const Branch* kept = view_.branch_named(tenant_id(1), "dev-before-restore");
  ASSERT_NE(kept, nullptr);
  EXPECT_EQ(kept->timeline_id, timeline_id(2));
  EXPECT_EQ(kept->parent_timeline_id, timeline_id(1));
  EXPECT_EQ(kept->branch_lsn, Lsn(0x100));
  EXPECT_EQ(kept->expires_at_us, 0);
  // The old children hang on the preserved state.
  ASSERT_EQ(view_.children(tenant_id(1), timeline_id(2)).size(), 2U);  // dev-child and dev.

  // From another branch's history without preserving: the old timeline goes to no branch.
  const Outcome from_main = apply(proto::BranchRestored{
      tenant_id(1), timeline_id(4), timeline_id(5), timeline_id(1), Lsn(0x180), ""});
  ASSERT_FALSE(from_main.error) << from_main.error->to_string();
  EXPECT_EQ(view_.branch_named(tenant_id(1), "dev")->parent_timeline_id, timeline_id(1));
  EXPECT_EQ(view_.branch_with_timeline(tenant_id(1), timeline_id(4)), nullptr);
}

TEST_F(BranchViewTest, RestoreInPlace_Refusals) {
  ASSERT_FALSE(apply(branch(1, "dev", 2, 1, 0x100)).error);
  // Its own history without preserving: the new timeline's parent would be left to no branch.
  EXPECT_EQ(code_of(apply(proto::BranchRestored{tenant_id(1), timeline_id(2), timeline_id(4),
                                                timeline_id(2), Lsn(0x200), ""})),
            ErrorCode::kFailedPrecondition);
  // Children need the old state kept.
  ASSERT_FALSE(apply(branch(1, "dev-child", 3, 2, 0x300)).error);
  EXPECT_EQ(code_of(apply(proto::BranchRestored{tenant_id(1), timeline_id(2), timeline_id(4),
                                                timeline_id(1), Lsn(0x200), ""})),
            ErrorCode::kFailedPrecondition);
  // A preserve name taken, an unknown source, a timeline id taken.
  EXPECT_EQ(code_of(apply(proto::BranchRestored{tenant_id(1), timeline_id(2), timeline_id(4),
                                                timeline_id(1), Lsn(0x200), "main"})),
            ErrorCode::kAlreadyExists);
  EXPECT_EQ(code_of(apply(proto::BranchRestored{tenant_id(1), timeline_id(2), timeline_id(4),
                                                timeline_id(9), Lsn(0x200), "old"})),
            ErrorCode::kNotFound);
  EXPECT_EQ(code_of(apply(proto::BranchRestored{tenant_id(1), timeline_id(2), timeline_id(3),
                                                timeline_id(1), Lsn(0x200), "old"})),
            ErrorCode::kAlreadyExists);
  // Protected.
  ASSERT_FALSE(
      apply(proto::BranchSettingsChanged{tenant_id(1), timeline_id(2), true, std::nullopt}).error);
  const Outcome refused = apply(proto::BranchRestored{tenant_id(1), timeline_id(2), timeline_id(4),
                                                      timeline_id(1), Lsn(0x200), "old"});
  EXPECT_EQ(code_of(refused), ErrorCode::kFailedPrecondition);
  EXPECT_NE(refused.error->message().find("protected"), std::string::npos);
  EXPECT_EQ(view_.branch_named(tenant_id(1), "dev")->timeline_id, timeline_id(2));
}

TEST_F(BranchViewTest, IdempotencyKey_SameRequestGetsFirstResult_OtherRequestIsRefused) {
  proto::BranchCreated first = branch(1, "dev", 2, 1, 0x100);
  first.idempotency_key = "k1";
  first.request_fingerprint = "f1";
  ASSERT_FALSE(apply(first).error);
  ASSERT_FALSE(apply(proto::BranchDeleted{tenant_id(1), timeline_id(2)}).error);

  proto::BranchCreated repeat = first;
  repeat.timeline_id = timeline_id(5);
  const Outcome again = apply(repeat);
  ASSERT_FALSE(again.error);
  EXPECT_FALSE(again.changed);
  EXPECT_EQ(std::get<Branch>(again.object).timeline_id, timeline_id(2));
  EXPECT_EQ(view_.branch_named(tenant_id(1), "dev"), nullptr);

  proto::BranchCreated other = branch(1, "other", 6, 1, 0x100);
  other.idempotency_key = "k1";
  other.request_fingerprint = "f2";
  EXPECT_EQ(code_of(apply(other)), ErrorCode::kIdempotencyKeyReused);
}

TEST_F(BranchViewTest, SameProposalAppliedTwice_AppliesOnce_WithItsFirstOutcome) {
  const proto::BranchLogEntry create = entry(branch(1, "dev", 2, 1, 0x100));
  ASSERT_FALSE(view_.apply(create).error);
  ASSERT_FALSE(apply(proto::BranchDeleted{tenant_id(1), timeline_id(2)}).error);
  const Outcome again = view_.apply(create);
  EXPECT_FALSE(again.error);
  EXPECT_TRUE(again.changed);
  EXPECT_EQ(view_.branch_named(tenant_id(1), "dev"), nullptr);
  ASSERT_NE(view_.outcome(create.proposal_id), nullptr);
}

TEST_F(BranchViewTest, Snapshots_NeedAKnownTimelineAndOrderedLsns) {
  proto::SnapshotRegistered s;
  s.tenant_id = tenant_id(1);
  s.snapshot_id = testing::id_of<consensus::SnapshotId>(1);
  s.timeline_id = timeline_id(1);
  s.start_lsn = Lsn(0x100);
  s.end_lsn = Lsn(0x200);
  s.location = "/snap/1.tar";
  ASSERT_FALSE(apply(s).error);
  EXPECT_FALSE(apply(s).changed);  // Identical repeat.

  proto::SnapshotRegistered unknown = s;
  unknown.snapshot_id = testing::id_of<consensus::SnapshotId>(2);
  unknown.timeline_id = timeline_id(9);
  EXPECT_EQ(code_of(apply(unknown)), ErrorCode::kNotFound);
  proto::SnapshotRegistered backwards = s;
  backwards.snapshot_id = testing::id_of<consensus::SnapshotId>(3);
  backwards.end_lsn = Lsn(0x50);
  EXPECT_EQ(code_of(apply(backwards)), ErrorCode::kInvalidArgument);
  ASSERT_EQ(view_.snapshots(tenant_id(1)).size(), 1u);
  EXPECT_EQ(view_.snapshots(tenant_id(1))[0].location, "/snap/1.tar");
}

// ----- Deleting snapshots: the rule (BranchView::snapshot_to_delete), one case each ---------

consensus::SnapshotId snapshot_id(std::uint8_t n) {
  return testing::id_of<consensus::SnapshotId>(n);
}

proto::SnapshotRegistered snapshot_of(std::uint8_t n, std::uint8_t timeline, std::uint64_t end) {
  return {tenant_id(1),
          snapshot_id(n),
          timeline_id(timeline),
          Lsn(end - 0x100),
          Lsn(end),
          "/store/" + std::to_string(n),
          "crc32c:00000000",
          1};
}

proto::SnapshotDeleted deletion_of(std::uint8_t n) {
  return {tenant_id(1), snapshot_id(n)};
}

// The message of the refusal to delete snapshot n, which must name the branch that needs it.
std::string refusal(const BranchView& view, std::uint8_t n) {
  auto result = view.snapshot_to_delete(tenant_id(1), snapshot_id(n));
  if (result) {
    return "allowed";
  }
  EXPECT_EQ(result.error().code(), ErrorCode::kFailedPrecondition) << result.error().to_string();
  return result.error().message();
}

bool mentions(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

TEST_F(BranchViewTest, SnapshotDelete_AnOlderOneOfABranchGoes_TheNewestIsNeededAtItsHead) {
  ASSERT_FALSE(apply(snapshot_of(1, 1, 0x3000)).error);
  ASSERT_FALSE(apply(snapshot_of(2, 1, 0x5000)).error);
  EXPECT_TRUE(mentions(refusal(view_, 2), "branch 'main' at its head")) << refusal(view_, 2);

  const Outcome deleted = apply(deletion_of(1));
  ASSERT_FALSE(deleted.error) << deleted.error->to_string();
  EXPECT_TRUE(deleted.changed);
  ASSERT_TRUE(std::holds_alternative<Snapshot>(deleted.object));
  EXPECT_EQ(std::get<Snapshot>(deleted.object).id, snapshot_id(1));
  ASSERT_EQ(view_.snapshots(tenant_id(1)).size(), 1u);
  EXPECT_EQ(view_.snapshots(tenant_id(1))[0].id, snapshot_id(2));
  EXPECT_EQ(view_.snapshot(tenant_id(1), snapshot_id(1)), nullptr);

  const Outcome refused = apply(deletion_of(2));
  EXPECT_EQ(code_of(refused), ErrorCode::kFailedPrecondition);
  EXPECT_EQ(view_.snapshots(tenant_id(1)).size(), 1u);
}

TEST_F(BranchViewTest, SnapshotDelete_UnknownDeletedOrOtherTenant_IsNotFound) {
  ASSERT_FALSE(apply(snapshot_of(1, 1, 0x3000)).error);
  ASSERT_FALSE(apply(snapshot_of(2, 1, 0x5000)).error);
  EXPECT_EQ(code_of(apply(deletion_of(9))), ErrorCode::kNotFound);
  ASSERT_FALSE(apply(deletion_of(1)).error);
  const Outcome again = apply(deletion_of(1));
  EXPECT_EQ(code_of(again), ErrorCode::kNotFound);
  EXPECT_TRUE(mentions(again.error->message(), "was deleted")) << again.error->message();
  EXPECT_EQ(code_of(apply(proto::SnapshotDeleted{tenant_id(7), snapshot_id(2)})),
            ErrorCode::kNotFound);
  EXPECT_EQ(view_.snapshots(tenant_id(1)).size(), 1u);
}

TEST_F(BranchViewTest, SnapshotDelete_ADeletedIdIsNotRegisteredAgain) {
  ASSERT_FALSE(apply(snapshot_of(1, 1, 0x3000)).error);
  ASSERT_FALSE(apply(snapshot_of(2, 1, 0x5000)).error);
  ASSERT_FALSE(apply(deletion_of(1)).error);
  EXPECT_EQ(code_of(apply(snapshot_of(1, 1, 0x3000))), ErrorCode::kAlreadyExists);
  EXPECT_EQ(view_.snapshots(tenant_id(1)).size(), 1u);
}

TEST_F(BranchViewTest, SnapshotDelete_TheParentsNewestBeforeAChildsBranchPoint_IsNeeded) {
  // main: 0x3000, 0x4000 | dev leaves main at 0x4800 | main: 0x6000 (main's head uses it).
  ASSERT_FALSE(apply(snapshot_of(1, 1, 0x3000)).error);
  ASSERT_FALSE(apply(snapshot_of(2, 1, 0x4000)).error);
  ASSERT_FALSE(apply(snapshot_of(3, 1, 0x6000)).error);
  ASSERT_FALSE(apply(branch(1, "dev", 2, 1, 0x4800)).error);
  EXPECT_EQ(refusal(view_, 1), "allowed");
  EXPECT_TRUE(mentions(refusal(view_, 2), "branch 'dev' at its head")) << refusal(view_, 2);
  EXPECT_TRUE(mentions(refusal(view_, 3), "branch 'main' at its head"));
}

TEST_F(BranchViewTest, SnapshotDelete_ABranchPointStaysCoveredWhenTheChildHasItsOwn) {
  ASSERT_FALSE(apply(snapshot_of(1, 1, 0x4000)).error);
  ASSERT_FALSE(apply(snapshot_of(2, 1, 0x6000)).error);
  ASSERT_FALSE(apply(branch(1, "dev", 2, 1, 0x4800)).error);
  ASSERT_FALSE(apply(snapshot_of(3, 2, 0x5000)).error);  // dev's own: its head uses it.
  const std::string why = refusal(view_, 1);
  EXPECT_TRUE(mentions(why, "branch 'dev' at 0/4800, where it leaves 'main'")) << why;
  EXPECT_TRUE(mentions(refusal(view_, 3), "branch 'dev' at its head"));
}

TEST_F(BranchViewTest, SnapshotDelete_AGrandchildBelowItsParentsPoint_NeedsAnOlderRootSnapshot) {
  // main: 0x3000, 0x3c00, 0x7000 | dev leaves main at 0x4000 | fix leaves dev at 0x3800, below
  // dev's own point: fix's log is main's up to 0x3800.
  ASSERT_FALSE(apply(snapshot_of(1, 1, 0x3000)).error);
  ASSERT_FALSE(apply(snapshot_of(2, 1, 0x3c00)).error);
  ASSERT_FALSE(apply(snapshot_of(3, 1, 0x7000)).error);
  ASSERT_FALSE(apply(branch(1, "dev", 2, 1, 0x4000)).error);
  ASSERT_FALSE(apply(branch(1, "fix", 3, 2, 0x3800)).error);
  const std::string why = refusal(view_, 1);
  EXPECT_TRUE(mentions(why, "branch 'fix' at its head")) << why;
  EXPECT_TRUE(mentions(refusal(view_, 2), "branch 'dev' at its head"));
  ASSERT_FALSE(apply(proto::BranchDeleted{tenant_id(1), timeline_id(3)}).error);
  EXPECT_EQ(refusal(view_, 1), "allowed");
}

TEST_F(BranchViewTest, SnapshotDelete_OfADeletedOrResetBranchsTimeline_IsAllowed) {
  ASSERT_FALSE(apply(snapshot_of(1, 1, 0x3000)).error);
  ASSERT_FALSE(apply(branch(1, "dev", 2, 1, 0x4000)).error);
  ASSERT_FALSE(apply(snapshot_of(2, 2, 0x5000)).error);
  ASSERT_FALSE(apply(branch(1, "tmp", 3, 1, 0x4000)).error);
  ASSERT_FALSE(apply(snapshot_of(3, 3, 0x5000)).error);
  ASSERT_FALSE(
      apply(proto::BranchReset{tenant_id(1), timeline_id(2), timeline_id(4), Lsn(0x6000)}).error);
  ASSERT_FALSE(apply(proto::BranchDeleted{tenant_id(1), timeline_id(3)}).error);
  EXPECT_EQ(refusal(view_, 2), "allowed");
  EXPECT_EQ(refusal(view_, 3), "allowed");
  EXPECT_FALSE(apply(deletion_of(2)).error);
  EXPECT_FALSE(apply(deletion_of(3)).error);
}

TEST_F(BranchViewTest, SnapshotDelete_ABranchCreatedBeforeItApplies_WinsByLogOrder) {
  // Checked when proposed (allowed), a child created meanwhile needs it when it applies.
  ASSERT_FALSE(apply(snapshot_of(1, 1, 0x3000)).error);
  ASSERT_FALSE(apply(snapshot_of(2, 1, 0x6000)).error);
  EXPECT_EQ(refusal(view_, 1), "allowed");
  ASSERT_FALSE(apply(branch(1, "dev", 2, 1, 0x4000)).error);
  const Outcome refused = apply(deletion_of(1));
  EXPECT_EQ(code_of(refused), ErrorCode::kFailedPrecondition);
  EXPECT_EQ(view_.snapshots(tenant_id(1)).size(), 2u);
}

TEST_F(BranchViewTest, TwoViewsApplyingTheSameEntries_Agree) {
  BranchView other;
  std::vector<proto::BranchLogEntry> log{
      entry(proto::TenantCreated{tenant_id(1), "acme"}),
      entry(branch(1, "main", 1, std::nullopt, 0)),
      entry(branch(1, "x", 2, 1, 0x100)),
      entry(branch(1, "x", 3, 1, 0x200)),  // Loses: the name is taken.
      entry(proto::BranchDeleted{tenant_id(1), timeline_id(2)}),
  };
  BranchView a;
  for (const auto& e : log) {
    const Outcome oa = a.apply(e);
    const Outcome ob = other.apply(e);
    EXPECT_EQ(oa.error.has_value(), ob.error.has_value());
  }
  EXPECT_EQ(a.branches(tenant_id(1)).size(), other.branches(tenant_id(1)).size());
  EXPECT_EQ(a.branch_named(tenant_id(1), "x"), nullptr);
  EXPECT_TRUE(a.timeline_used(timeline_id(2)));
  EXPECT_FALSE(a.timeline_used(timeline_id(3)));
}

}  // namespace
}  // namespace sk::branchmgr
