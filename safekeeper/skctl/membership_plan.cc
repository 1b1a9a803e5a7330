// Membership change decisions; see membership_plan.h.
#include "safekeeper/skctl/membership_plan.h"

#include <algorithm>

namespace sk::skctl {

using consensus::Configuration;
using consensus::NodeId;

namespace {

const AcceptorView* view_of(const std::vector<AcceptorView>& views, NodeId id) {
  auto it = std::find_if(views.begin(), views.end(),
                         [&](const AcceptorView& view) { return view.id == id; });
  return it == views.end() ? nullptr : &*it;
}

}  // namespace

Configuration current_configuration(const std::vector<AcceptorView>& views,
                                    const std::vector<NodeId>& started_with) {
  const AcceptorView* highest = nullptr;
  for (const AcceptorView& view : views) {
    if (!view.configuration.none() &&
        (highest == nullptr || view.configuration.generation > highest->configuration.generation)) {
      highest = &view;
    }
  }
  return highest != nullptr ? highest->configuration : Configuration::of(started_with);
}

Result<std::vector<NodeId>> changed_members(std::vector<NodeId> members,
                                            const std::vector<NodeId>& add,
                                            const std::vector<NodeId>& remove) {
  for (NodeId id : remove) {
    auto it = std::find(members.begin(), members.end(), id);
    if (it == members.end()) {
      return Error(ErrorCode::kInvalidArgument,
                   "safekeeper " + std::to_string(id.value()) + " is not a member");
    }
    members.erase(it);
  }
  members.insert(members.end(), add.begin(), add.end());
  std::sort(members.begin(), members.end());
  members.erase(std::unique(members.begin(), members.end()), members.end());
  if (members.empty()) {
    return Error(ErrorCode::kInvalidArgument, "that would leave no safekeeper");
  }
  return members;
}

std::optional<SyncPoint> sync_point(const Configuration& joint,
                                    const std::vector<AcceptorView>& views) {
  SyncPoint point;
  bool any = false;
  const bool switched = Configuration::of(joint.members).is_quorum([&](NodeId id) {
    const AcceptorView* view = view_of(views, id);
    if (view == nullptr || view->configuration.generation < joint.generation) {
      return false;
    }
    point.lsn = std::max(point.lsn, view->flush_lsn);
    point.term = std::max(point.term, view->term);
    any = true;
    return true;
  });
  if (!switched || !any) {
    return std::nullopt;
  }
  return point;
}

bool new_set_holds(const Configuration& joint, const SyncPoint& point,
                   const std::vector<AcceptorView>& views, const std::vector<NodeId>& must_hold) {
  auto holds = [&](NodeId id) {
    const AcceptorView* view = view_of(views, id);
    return view != nullptr && view->commit_lsn >= point.lsn && view->term >= point.term;
  };
  return Configuration::of(joint.new_members).is_quorum(holds) &&
         std::all_of(must_hold.begin(), must_hold.end(), holds);
}

}  // namespace sk::skctl
