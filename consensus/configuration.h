// Configuration: which acceptors of a timeline count, under a generation that only grows (Neon's
// "membership configuration"). Elections and commits need a quorum of it:
//   plain   {members}                a majority of members
//   joint   {members, new_members}   a majority of members AND a majority of new_members
// A change goes through a joint configuration (joint consensus, Raft thesis section 4.3), one
// generation per step:
//   C(g){old}  --start_change-->  J(g+1){old, new}  --finish_change-->  C(g+2){new}
//                                                  --abort_change--->   C(g+2){old}
// While joint, neither the old set alone nor the new set alone can elect or commit, so there is
// no moment at which two disjoint majorities decide. Why joint rather than one member at a time:
// replacing a lost node is one step (3 -> 3 with one node swapped) instead of two (3 -> 4 -> 3,
// during which a 4-node set needs 3 of 4), and single-member changes are only safe once the new
// leader has committed an entry in its own term (the bug found in Raft's single-server changes
// in 2015); joint majorities need no such extra rule.
//
// Pure: no I/O. Node ids in each set are kept sorted and unique.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "consensus/result.h"
#include "consensus/types.h"

namespace sk::consensus {

// Orders configurations of one timeline: a higher generation replaces a lower one.
using Generation = StrongU64<struct GenerationTag>;

struct Configuration {
  Generation generation;
  std::vector<NodeId> members;
  std::vector<NodeId> new_members;  // Empty unless joint.
  // Where proposers reach some of the acceptors ("host:port" of a proposer port), as the operator
  // who made the configuration gave them. A driver restarting a superseded proposer learns a new
  // member's address here (as Neon's membership configuration carries each safekeeper's host);
  // the protocol itself only carries it.
  std::map<NodeId, std::string> addresses{};

  // Generation 0 with `members` (sorted and made unique): the configuration a proposer assumes
  // from its own list of acceptors.
  static Configuration of(std::vector<NodeId> members);

  bool joint() const { return !new_members.empty(); }
  // Generation 0 without members: none set yet (an acceptor's before its first change).
  bool none() const {
    return generation == Generation(0) && members.empty() && new_members.empty();
  }
  // Every acceptor that must be sent everything: members, then new members not among them.
  std::vector<NodeId> acceptors() const;
  bool contains(NodeId node) const;
  // True when the acceptors for which `agrees` holds are a majority of members and, when joint,
  // of new_members.
  bool is_quorum(const std::function<bool(NodeId)>& agrees) const;
  // The highest position a quorum has reached: each set's majority-th highest position (an
  // acceptor absent from `positions` is at 0/0), the lower of the two when joint.
  Lsn quorum_position(const std::map<NodeId, Lsn>& positions) const;
  // "g3 {1,2,3}" or "g4 {1,2,3} -> {1,2,4}", for logs and errors.
  std::string describe() const;
  // Of every field (consensus/state_digest.h), for the explorer's visited set.
  std::uint64_t digest() const;

  friend bool operator==(const Configuration&, const Configuration&) = default;
};

// kInvalidArgument unless both sets are sorted, unique, `members` is not empty, and every address
// is a non-empty one of an acceptor of the configuration.
Status validate(const Configuration& configuration);

// The joint configuration that starts moving `current` (not joint) to `new_members`: the next
// generation, with the addresses of `current`. kFailedPrecondition when `current` is already
// joint; kInvalidArgument for an empty or unchanged set.
Result<Configuration> start_change(const Configuration& current, std::vector<NodeId> new_members);
// The end of a change: the new members alone, or (abort) the old members alone, in the next
// generation, with their addresses. kFailedPrecondition unless `joint` is joint.
Result<Configuration> finish_change(const Configuration& joint);
Result<Configuration> abort_change(const Configuration& joint);

}  // namespace sk::consensus
