// Restore planning; see restore_plan.h.
#include "safekeeper/skctl/restore_plan.h"

#include <algorithm>

#include "branchmgr/snapshot_choice.h"

namespace sk::skctl {

std::optional<SnapshotInfo> choose_snapshot(const std::vector<AncestryLevel>& ancestry,
                                            consensus::Lsn head,
                                            const std::vector<SnapshotInfo>& snapshots) {
  std::vector<std::optional<consensus::Lsn>> branch_lsns;
  for (const AncestryLevel& level : ancestry) {
    branch_lsns.push_back(level.branch_lsn);
  }
  // Each snapshot on the ancestry as the rule sees it, and which one it is.
  std::vector<branchmgr::SnapshotCandidate> candidates;
  std::vector<const SnapshotInfo*> of_candidate;
  for (const SnapshotInfo& s : snapshots) {
    const auto level = std::find_if(ancestry.begin(), ancestry.end(), [&](const AncestryLevel& l) {
      return l.timeline_id == s.timeline_id;
    });
    if (level != ancestry.end()) {
      candidates.push_back({static_cast<std::size_t>(level - ancestry.begin()), s.end_lsn});
      of_candidate.push_back(&s);
    }
  }
  const auto chosen = branchmgr::choose_snapshot(branch_lsns, head, candidates);
  return chosen ? std::optional(*of_candidate[*chosen]) : std::nullopt;
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
