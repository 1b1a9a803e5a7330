// The decisions of a membership change (skctl safekeeper add|remove), apart from the HTTP that
// gathers their inputs: which configuration a timeline is at, which one it moves to, the sync
// point, and when the new set may take over alone. The order they are used in is PROTOCOL.md's
// "Configurations"; the explorer checked it (TESTING.md, --change). Pure: no I/O.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "consensus/configuration.h"
#include "consensus/result.h"
#include "consensus/types.h"

namespace sk::skctl {

// One node's copy of a timeline, as its GET answered.
struct AcceptorView {
  consensus::NodeId id;
  consensus::Configuration configuration;  // None (generation 0, no members) before a change.
  std::uint64_t term = 0;
  consensus::Lsn flush_lsn;
  consensus::Lsn commit_lsn;
  bool proposer_connected = false;
};

// The configuration the timeline is at: the highest generation any node shows; while none has
// one, the plain list its proposers were started with (`started_with`, the cluster's --peers).
consensus::Configuration current_configuration(const std::vector<AcceptorView>& views,
                                               const std::vector<consensus::NodeId>& started_with);

// `members` with `add` and without `remove`, sorted. kInvalidArgument if that leaves nobody, or
// names a node to remove that is not a member.
Result<std::vector<consensus::NodeId>> changed_members(
    std::vector<consensus::NodeId> members, const std::vector<consensus::NodeId>& add,
    const std::vector<consensus::NodeId>& remove);

// Everything the old set may have committed is at or below `lsn`, and no term it won is above
// `term`: the highest flush LSN and term of the old members that took the joint configuration.
struct SyncPoint {
  consensus::Lsn lsn;
  std::uint64_t term = 0;
};
// nullopt until a majority of `joint`'s old members show its generation (or a later one): only
// then can no proposer of the old configuration commit any more.
std::optional<SyncPoint> sync_point(const consensus::Configuration& joint,
                                    const std::vector<AcceptorView>& views);

// True when a majority of `joint`'s new members, and each of `must_hold` (the members being
// added: they must have caught up before they count alone), know a commit LSN of at least
// the point's and a term of at least its term.
bool new_set_holds(const consensus::Configuration& joint, const SyncPoint& point,
                   const std::vector<AcceptorView>& views,
                   const std::vector<consensus::NodeId>& must_hold);

}  // namespace sk::skctl
