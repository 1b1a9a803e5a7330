// The snapshot a start restores from; see snapshot_choice.h.
#include "branchmgr/snapshot_choice.h"

#include <algorithm>

namespace sk::branchmgr {

std::optional<std::size_t> choose_snapshot(
    std::span<const std::optional<consensus::Lsn>> branch_lsns, consensus::Lsn point,
    std::span<const SnapshotCandidate> candidates) {
  std::optional<std::size_t> best;
  consensus::Lsn usable_until = point;
  for (std::size_t level = 0; level < branch_lsns.size(); ++level) {
    for (std::size_t k = 0; k < candidates.size(); ++k) {
      const SnapshotCandidate& c = candidates[k];
      if (c.level == level && c.end_lsn <= usable_until &&
          (!best || c.end_lsn > candidates[*best].end_lsn)) {
        best = k;
      }
    }
    if (branch_lsns[level]) {
      usable_until = std::min(usable_until, *branch_lsns[level]);
    }
  }
  return best;
}

}  // namespace sk::branchmgr
