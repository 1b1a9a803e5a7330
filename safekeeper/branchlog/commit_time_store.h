// CommitTimeStore: the closed pieces of each timeline's commit-time index
// (branchmgr/commit_times.h), kept across restarts in the LMDB database `commit_index`, so that a
// restart decodes only the WAL after the last piece kept instead of all of it.
// Key: the timeline's 32 bytes (timeline_key_bytes.h), then the piece's begin LSN as 8 bytes
// big-endian (keys sort by LSN). Value: a checked record (checked_record.h), magic "SKCI",
// version 1, payload begin, end, commits and the running maximum of commit times (8, 8, 4 and 8
// bytes, little-endian). Losing it costs a re-read of the WAL, never a wrong answer: pieces that
// do not line up are dropped at load.
#pragma once

#include <map>
#include <vector>

#include "branchmgr/commit_times.h"
#include "consensus/result.h"
#include "safekeeper/storage/control_record.h"
#include "safekeeper/storage/lmdb_env.h"

namespace sk::safekeeper {

class CommitTimeStore {
 public:
  // `env` must outlive the store.
  explicit CommitTimeStore(storage::LmdbEnv& env) : env_(env) {}

  // Adds `pieces` and drops the timeline's pieces beginning below `forget_below`, in one
  // transaction.
  Status save(const storage::TimelineKey& timeline,
              const std::vector<branchmgr::CommitPiece>& pieces,
              consensus::Lsn forget_below = consensus::Lsn());
  // Every timeline's pieces in LSN order. kCorruption naming the timeline for a damaged record.
  Result<std::map<storage::TimelineKey, std::vector<branchmgr::CommitPiece>>> load_all() const;
  // All of a timeline's pieces.
  Status erase(const storage::TimelineKey& timeline);

 private:
  storage::LmdbEnv& env_;
};

}  // namespace sk::safekeeper
