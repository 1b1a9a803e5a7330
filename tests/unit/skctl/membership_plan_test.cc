// membership_plan.h: the configuration a timeline is at, the set it moves to, the sync point (only
// once a majority of the old set switched) and when the new set may take over alone.
#include "safekeeper/skctl/membership_plan.h"

#include <gtest/gtest.h>

namespace sk::skctl {
namespace {

using consensus::Configuration;
using consensus::Generation;
using consensus::Lsn;
using consensus::NodeId;

std::vector<NodeId> ids(std::initializer_list<std::uint64_t> values) {
  std::vector<NodeId> out;
  for (std::uint64_t v : values) {
    out.emplace_back(v);
  }
  return out;
}

const Configuration kJoint{Generation(1), ids({1, 2, 3}), ids({1, 2, 4}), {}};

AcceptorView view(std::uint64_t id, const Configuration& configuration, std::uint64_t term,
                  std::uint64_t flush, std::uint64_t commit) {
  return AcceptorView{NodeId(id), configuration, term, Lsn(flush), Lsn(commit), false};
}

TEST(MembershipPlanTest, CurrentConfiguration_IsTheHighestShown_OrThePlainList) {
  EXPECT_EQ(current_configuration({view(1, {}, 1, 0, 0)}, ids({1, 2, 3})),
            Configuration::of(ids({1, 2, 3})));
  EXPECT_EQ(current_configuration({view(1, {}, 1, 0, 0), view(2, kJoint, 1, 0, 0)}, ids({1, 2, 3})),
            kJoint);
}

TEST(MembershipPlanTest, ChangedMembers_AddsAndRemoves) {
  EXPECT_EQ(changed_members(ids({1, 2, 3}), ids({4}), ids({3})).value(), ids({1, 2, 4}));
  EXPECT_EQ(changed_members(ids({1, 2, 3}), ids({4}), {}).value(), ids({1, 2, 3, 4}));
  EXPECT_EQ(changed_members(ids({1, 2, 3}), {}, ids({5})).error().code(),
            ErrorCode::kInvalidArgument);
  EXPECT_EQ(changed_members(ids({1}), {}, ids({1})).error().code(), ErrorCode::kInvalidArgument);
}

TEST(MembershipPlanTest, SyncPoint_WaitsForAMajorityOfTheOldSet_AndTakesTheirHighest) {
  const Configuration old_one = Configuration::of(ids({1, 2, 3}));
  // Only node 1 of the old set switched: an old proposer may still commit with 2 and 3.
  EXPECT_FALSE(sync_point(kJoint, {view(1, kJoint, 4, 500, 400), view(2, old_one, 4, 600, 400),
                                   view(4, kJoint, 0, 0, 0)})
                   .has_value());
  // Node 4 is new: it does not count for the old set.
  auto point = sync_point(kJoint, {view(1, kJoint, 4, 500, 400), view(2, kJoint, 5, 600, 400),
                                   view(4, kJoint, 7, 900, 0)});
  ASSERT_TRUE(point.has_value());
  EXPECT_EQ(point->lsn, Lsn(600));
  EXPECT_EQ(point->term, 5u);
}

TEST(MembershipPlanTest, NewSetHolds_NeedsAMajorityOfItAndEveryAddedNode) {
  const SyncPoint point{Lsn(600), 5};
  const std::vector<AcceptorView> behind = {
      view(1, kJoint, 6, 600, 600), view(2, kJoint, 6, 600, 600), view(4, kJoint, 6, 300, 300)};
  EXPECT_TRUE(new_set_holds(kJoint, point, behind, {}));
  EXPECT_FALSE(new_set_holds(kJoint, point, behind, ids({4}))) << "node 4 has not caught up yet";
  const std::vector<AcceptorView> old_term = {
      view(1, kJoint, 5, 600, 600), view(2, kJoint, 4, 600, 600), view(4, kJoint, 4, 600, 600)};
  EXPECT_FALSE(new_set_holds(kJoint, point, old_term, {}))
      << "only node 1 knows term 5: the new set could win it again";
  const std::vector<AcceptorView> caught_up = {view(1, kJoint, 6, 700, 650),
                                               view(4, kJoint, 6, 700, 650)};
  EXPECT_TRUE(new_set_holds(kJoint, point, caught_up, ids({4})));
}

}  // namespace
}  // namespace sk::skctl
