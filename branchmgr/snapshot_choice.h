// Which snapshot a start of a branch restores from (pure): the one rule that skctl follows when
// it chooses what to clone (safekeeper/skctl/restore_plan.h) and that BranchView follows when it
// refuses to delete a snapshot some start would use. Not what is usable on this machine (a
// damaged or unverifiable copy is skctl's to pass over): only which one, by LSNs.
#pragma once

#include <cstddef>
#include <optional>
#include <span>

#include "consensus/types.h"

namespace sk::branchmgr {

// A registered snapshot as the choice sees it.
struct SnapshotCandidate {
  // The level of the branch's ancestry whose timeline it was taken on: 0 the branch itself, 1 its
  // parent, and so on.
  std::size_t level = 0;
  consensus::Lsn end_lsn;  // Where its backup becomes consistent.
};

// `branch_lsns[i]` is where ancestry level i's log leaves level i + 1 (its branch LSN), nullopt
// for the root (the last level). A snapshot of level i is one of the branch's if it ends at or
// before every branch point below it (branch_lsns[0 .. i-1]): the branch's log is that
// ancestor's only up to there. A start whose log ends at `point` may use those that end at or
// before `point` too. Returns the index in `candidates` of the newest usable one (highest end
// LSN; on a tie, the one nearer the branch, then the one listed first), nullopt if none.
// Candidates whose level is not in the ancestry are never chosen.
std::optional<std::size_t> choose_snapshot(
    std::span<const std::optional<consensus::Lsn>> branch_lsns, consensus::Lsn point,
    std::span<const SnapshotCandidate> candidates);

}  // namespace sk::branchmgr
