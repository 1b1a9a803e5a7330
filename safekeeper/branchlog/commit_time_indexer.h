// CommitTimeIndexer: the commit-time index of every PostgreSQL timeline this node hosts, for
// "branch as of T" and lsn_by_timestamp. It decodes each timeline's committed WAL as it arrives
// (after each round of the storage worker) and records the time and end of every commit and
// abort record (branchmgr::CommitTimes). Only committed WAL is indexed, so nothing indexed is
// ever truncated away.
//
// The index lives in memory and is rebuilt from the WAL when the node starts, a bounded piece per
// worker task so that appends are not held up behind it. A timeline whose WAL does not decode is
// left out, with the reason kept for the API to report.
//
// Worker thread only, every member.
#pragma once

#include <functional>
#include <map>
#include <optional>

#include "branchmgr/commit_times.h"
#include "safekeeper/node/node.h"
#include "safekeeper/pgwal/wal_decoder.h"

namespace sk::safekeeper {

class CommitTimeIndexer {
 public:
  explicit CommitTimeIndexer(Node& node) : node_(node) {}

  // Indexes what every timeline committed since the last call, at most kBytesPerCall per
  // timeline. True if more is left: call again (the storage worker does, between rounds).
  bool catch_up();

  struct Indexed {
    std::optional<pgwal::WalDecoder> decoder;  // Once the first record's start is known.
    branchmgr::CommitTimes commits;
    std::optional<Error> failure;
  };
  // nullptr for a timeline not indexed (not hosted, or the branch log).
  const Indexed* indexed(const storage::TimelineKey& key) const;
  // How far the timeline's committed WAL has been indexed (0/0 before anything).
  consensus::Lsn indexed_lsn(const storage::TimelineKey& key) const;
  // Forgets the timeline's commits below `lsn`, where its WAL now starts (WalRemover).
  void forget_below(const storage::TimelineKey& key, consensus::Lsn lsn);

  static constexpr std::uint64_t kBytesPerCall = std::uint64_t{16} << 20;

 private:
  // True if more committed WAL is left to index.
  bool index(const Timeline& timeline, consensus::Lsn first_held, Indexed& indexed);
  // From `first`, the first LSN of the timeline's WAL on disk.
  bool start_decoder(const Timeline& timeline, consensus::Lsn first, Indexed& indexed,
                     consensus::Lsn committed);

  Node& node_;
  std::map<storage::TimelineKey, Indexed> indexed_;
};

}  // namespace sk::safekeeper
