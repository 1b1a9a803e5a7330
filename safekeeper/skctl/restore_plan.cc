// Restore planning; see restore_plan.h.
#include "safekeeper/skctl/restore_plan.h"

#include <algorithm>

namespace sk::skctl {

std::optional<SnapshotInfo> choose_snapshot(const std::vector<AncestryLevel>& ancestry,
                                            consensus::Lsn head,
                                            const std::vector<SnapshotInfo>& snapshots) {
  std::optional<SnapshotInfo> best;
  consensus::Lsn usable_until = head;
  for (std::size_t i = 0; i < ancestry.size(); ++i) {
    for (const SnapshotInfo& s : snapshots) {
      if (s.timeline_id == ancestry[i].timeline_id && s.end_lsn <= usable_until &&
          (!best || s.end_lsn > best->end_lsn)) {
        best = s;
      }
    }
    if (ancestry[i].branch_lsn) {
      usable_until = std::min(usable_until, *ancestry[i].branch_lsn);
    }
  }
  return best;
}

std::vector<std::uint64_t> segments_between(consensus::Lsn from, consensus::Lsn until,
                                            std::uint64_t seg_size_bytes) {
  std::vector<std::uint64_t> out;
  if (until <= from) {
    return out;
  }
  for (std::uint64_t segno = from.value() / seg_size_bytes;
       segno <= (until.value() - 1) / seg_size_bytes; ++segno) {
    out.push_back(segno);
  }
  return out;
}

}  // namespace sk::skctl
