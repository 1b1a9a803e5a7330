// CommitTimeIndexer: the commit-time index of every PostgreSQL timeline this node hosts, for
// "branch as of T", lsn_by_timestamp and the retention window. It decodes each timeline's
// committed WAL as it arrives (after each round of the storage worker) and records the time and
// end of every commit and abort record (branchmgr::CommitTimes, in pieces of 1 MiB of WAL). Only
// committed WAL is indexed, so nothing indexed is ever truncated away.
//
// Closed pieces are saved in the node's LMDB environment (CommitTimeStore) at most once a second
// per timeline, so a restart resumes decoding where the last saved piece ends instead of from
// the first WAL kept; a bounded piece of WAL per worker task, so that appends are not held up
// behind it. A question about a closed piece decodes that piece's WAL again (reader()). WAL
// removal forgets the pieces below the WAL kept (forget_below); the retention window holds the
// WAL from the start of the piece its floor lies in, so that the index can still answer there.
// A timeline whose WAL does not decode is left out, with the reason kept for the API to report.
//
// Worker thread only, every member.
#pragma once

#include <chrono>
#include <functional>
#include <map>
#include <optional>

#include "branchmgr/commit_times.h"
#include "safekeeper/branchlog/commit_time_store.h"
#include "safekeeper/node/node.h"
#include "safekeeper/pgwal/wal_decoder.h"

namespace sk::safekeeper {

class CommitTimeIndexer {
 public:
  // Loads the pieces saved before; a damaged store is logged and the index rebuilt from WAL.
  explicit CommitTimeIndexer(
      Node& node, std::uint64_t piece_bytes = branchmgr::CommitTimes::kDefaultPieceBytes);
  // Saves the pieces closed since the last save, so that a clean stop loses none.
  ~CommitTimeIndexer();
  CommitTimeIndexer(const CommitTimeIndexer&) = delete;
  CommitTimeIndexer& operator=(const CommitTimeIndexer&) = delete;

  // Indexes what every timeline committed since the last call, at most kBytesPerCall per
  // timeline, and saves the pieces closed meanwhile. True if more is left: call again (the
  // storage worker does, between rounds).
  bool catch_up();

  struct Indexed {
    std::optional<pgwal::WalDecoder> decoder;       // Once the first record's start is known.
    std::optional<branchmgr::CommitTimes> commits;  // With the decoder.
    std::vector<branchmgr::CommitPiece> unsaved;    // Closed, not yet in the store.
    std::chrono::steady_clock::time_point saved_at{};
    std::optional<Error> failure;
  };
  // nullptr for a timeline not indexed (not hosted, or the branch log).
  const Indexed* indexed(const storage::TimelineKey& key) const;
  // How far the timeline's committed WAL has been indexed (0/0 before anything).
  consensus::Lsn indexed_lsn(const storage::TimelineKey& key) const;
  // Reads a piece of the timeline's index back from its WAL.
  branchmgr::CommitReader reader(const storage::TimelineKey& key) const;
  // Forgets the timeline's pieces below `lsn`, where its WAL now starts (WalRemover).
  void forget_below(const storage::TimelineKey& key, consensus::Lsn lsn);

  static constexpr std::uint64_t kBytesPerCall = std::uint64_t{16} << 20;
  static constexpr std::chrono::seconds kSaveInterval{1};

 private:
  // True if more committed WAL is left to index.
  bool index(const storage::TimelineKey& key, const Timeline& timeline, Indexed& indexed);
  // Where decoding starts: where the saved pieces end, or the first record of the WAL kept.
  bool start_decoder(const storage::TimelineKey& key, const Timeline& timeline, Indexed& indexed,
                     consensus::Lsn committed);
  void save(const storage::TimelineKey& key, Indexed& indexed, bool now);

  Node& node_;
  CommitTimeStore store_;
  std::uint64_t piece_bytes_;
  // Pieces saved by an earlier run, taken by start_decoder().
  std::map<storage::TimelineKey, std::vector<branchmgr::CommitPiece>> saved_;
  std::map<storage::TimelineKey, Indexed> indexed_;
};

}  // namespace sk::safekeeper
