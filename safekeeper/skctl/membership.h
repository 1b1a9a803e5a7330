// skctl safekeeper add|remove: a membership change on every timeline of the cluster (the branch
// log first), over the safekeepers' HTTP API, in the order PROTOCOL.md's "Configurations" gives
// (the decisions themselves: membership_plan.h). Per timeline:
//   1. the new members get the timeline (created with the same identity);
//   2. the joint configuration {old} -> {new} goes to every reachable node of either set, and a
//      majority of the old set must take it;
//   3. skctl waits until a majority of the new set, and every added member, has caught up with
//      the sync point. The timeline's proposers, superseded, do the work; a timeline no proposer
//      is connected to gets `walproposer --sync-safekeepers --wait-for NEW` to do it;
//   4. {new} goes to the new members, then to the removed ones that answer.
// Re-running the same command resumes a change that stopped half way (a timeline already at the
// joint configuration goes on from step 3; one at the new configuration is skipped).
#pragma once

#include <chrono>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "consensus/result.h"
#include "consensus/types.h"
#include "safekeeper/skctl/api_client.h"

namespace sk::skctl {

struct MembershipChange {
  // The HTTP address of a node to add (it must be running: its id and proposer port come from
  // its /v1/status); empty for a removal.
  std::string add_http;
  // Nodes to remove (by id): `remove ID`, or `add ... --replacing ID`.
  std::vector<consensus::NodeId> remove;
  // For a timeline that no proposer serves: the program that runs its sync.
  std::filesystem::path walproposer;
  std::filesystem::path log;  // Where those syncs write.
  // How long each timeline may take to catch up.
  std::chrono::milliseconds timeout = std::chrono::minutes(10);
};

// Runs the change on every timeline; `report` gets one line per timeline. `api` names the
// cluster's current members (any unreachable one, a lost node, is skipped). Stops at the first
// timeline that fails, with why (kUnavailable when a quorum did not answer or catch up in time).
Status change_membership(const ApiClient& api, const MembershipChange& change,
                         const std::function<void(const std::string&)>& report);

}  // namespace sk::skctl
