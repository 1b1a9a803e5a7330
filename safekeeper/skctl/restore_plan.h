// What a new compute or replica on a branch starts from (pure): the newest snapshot on the
// branch's ancestry whose backup ends at or before the point where the branch's log leaves
// that ancestor, and the WAL segments to fetch from there to the branch's head.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "consensus/types.h"

namespace sk::skctl {

// One branch of the ancestry, the branch itself first, its root last.
struct AncestryLevel {
  std::string timeline_id;
  std::optional<consensus::Lsn> branch_lsn;  // nullopt for the root.
};

struct SnapshotInfo {
  std::string snapshot_id;
  std::string timeline_id;
  consensus::Lsn start_lsn;
  consensus::Lsn end_lsn;
  std::string location;
  std::string checksum;
};

// A snapshot of ancestor i is one of the branch too if it ends at or before the lowest branch
// point below it (the branch's log is that ancestor's only up to there); one of the branch
// itself if it ends at or before `head`. The newest such (highest end LSN); nullopt if none.
// The rule is branchmgr::choose_snapshot (snapshot_choice.h), which the safekeepers also follow
// when they refuse to delete a snapshot a start would use; this matches timelines to levels.
std::optional<SnapshotInfo> choose_snapshot(const std::vector<AncestryLevel>& ancestry,
                                            consensus::Lsn head,
                                            const std::vector<SnapshotInfo>& snapshots);

// The segment numbers holding WAL [from, until): replay starts at `from`, the log ends at
// `until`.
std::vector<std::uint64_t> segments_between(consensus::Lsn from, consensus::Lsn until,
                                            std::uint64_t seg_size_bytes);

}  // namespace sk::skctl
