// CommitTimes: one timeline's commit and abort records in WAL order, each with its time, and
// "as of T" resolution along a branch's ancestry. Pure.
//
// "As of T" follows PostgreSQL's recovery_target_time (inclusive): replay stops before the first
// commit or abort, in WAL order, whose time is after T, so the answer is the end of the commit
// before it. Commit times are not quite monotonic in WAL order (a backend takes its commit time
// before it inserts the record), which is why the search is for that first later commit, over
// the running maximum of the times, rather than for the largest time at or before T.
//
// The index keeps WAL in pieces, so that its memory grows with the WAL it covers, not with the
// commit rate: a piece is a run of WAL from a record boundary to the end of a commit record, at
// least `piece_bytes` long. Of a closed piece only a summary is kept (where it begins and ends,
// how many commits, the running maximum of their times); the open piece's commits are kept
// whole. A question that falls inside a closed piece has that piece's commits read back
// (CommitReader: the caller decodes its WAL again, one piece, never more).
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <string_view>
#include <vector>

#include "consensus/result.h"
#include "consensus/types.h"

namespace sk::branchmgr {

struct Commit {
  std::int64_t unix_us = 0;
  consensus::Lsn end_lsn;
  friend bool operator==(const Commit&, const Commit&) = default;
};

// A closed piece's summary.
struct CommitPiece {
  consensus::Lsn begin;  // A record boundary: decoding may start here.
  consensus::Lsn end;    // The end of its last commit (where the next piece begins).
  std::uint32_t commits = 0;
  std::int64_t max_us = 0;  // The latest commit time up to and including this piece.
  friend bool operator==(const CommitPiece&, const CommitPiece&) = default;
};

// The commits of WAL [begin, end), decoded again; `begin` is a piece's.
using CommitReader =
    std::function<Result<std::vector<Commit>>(consensus::Lsn begin, consensus::Lsn end)>;

class CommitTimes {
 public:
  static constexpr std::uint64_t kDefaultPieceBytes = std::uint64_t{1} << 20;

  // The first piece begins at `begin`, a record boundary.
  explicit CommitTimes(consensus::Lsn begin, std::uint64_t piece_bytes = kDefaultPieceBytes);
  // Picks up closed pieces kept from before (in order, contiguous): the open piece then begins
  // where the last one ends.
  static CommitTimes resume(std::vector<CommitPiece> closed, std::uint64_t piece_bytes);

  // The next commit in WAL order. Closes the open piece once it spans piece_bytes.
  void add(std::int64_t unix_us, consensus::Lsn end_lsn);
  // Forgets the closed pieces that begin below `lsn` (their WAL was removed).
  void forget_below(consensus::Lsn lsn);
  // The pieces closed since the last call, for the caller to persist.
  std::vector<CommitPiece> take_newly_closed();

  const std::vector<CommitPiece>& closed() const { return closed_; }
  // Where the open piece begins: the first byte not summarised by a closed piece.
  consensus::Lsn open_begin() const { return open_begin_; }
  // The first LSN the index covers.
  consensus::Lsn begin() const { return closed_.empty() ? open_begin_ : closed_.front().begin; }
  // Where a piece that holds `lsn` begins: decoding from there finds the commit ending at
  // `lsn`. WAL at and above it must stay for the index to answer there.
  consensus::Lsn piece_begin_for(consensus::Lsn lsn) const;
  std::uint64_t commits() const { return closed_commits_ + open_.size(); }
  // What the index takes in memory.
  std::uint64_t memory_bytes() const;

  // Among the commits ending at or before `limit`: the first whose time is after `t`, with the
  // end of the commit before it (nullopt if it is the first indexed), and the end of the last
  // one. Reads at most two pieces back through `read`.
  struct Scan {
    bool later = false;                    // Some commit at or before `limit` is after `t`.
    std::optional<consensus::Lsn> before;  // With `later`: the end of the commit before it.
    std::optional<consensus::Lsn> last;    // The end of the last commit at or before `limit`.
  };
  Result<Scan> scan(std::int64_t t, consensus::Lsn limit, const CommitReader& read) const;

 private:
  CommitTimes() = default;
  // The commits of closed piece `i`, read back and checked against its summary.
  Result<std::vector<Commit>> read_piece(std::size_t i, const CommitReader& read) const;
  void close_piece();

  std::uint64_t piece_bytes_ = kDefaultPieceBytes;
  std::vector<CommitPiece> closed_;
  std::size_t newly_closed_ = 0;  // How many at the end of closed_ take_newly_closed() returns.
  std::uint64_t closed_commits_ = 0;
  consensus::Lsn open_begin_;
  std::vector<Commit> open_;
  std::int64_t open_max_us_ = 0;  // Running maximum through the open piece.
};

enum class TimestampKind : std::uint8_t {
  kBeforeData,  // Nothing was committed at or before T.
  kPast,        // Some commit is later than T: T lies inside the history.
  kPresent,     // Every commit is at or before T, and T is not ahead of now.
  kFuture,      // Every commit is at or before T, and T is ahead of now.
};
// "nodata", "past", "present", "future" (Neon's names).
std::string_view timestamp_kind_name(TimestampKind kind);

struct LsnForTimestamp {
  TimestampKind kind = TimestampKind::kBeforeData;
  std::optional<consensus::Lsn> lsn;  // The end of the last commit as of T; none before data.
};

// One timeline of a branch's ancestry, and the LSN up to which its commits belong to the branch
// (the child's branch point; the branch's own head for the branch itself).
struct AncestryLevel {
  const CommitTimes* commits = nullptr;  // nullptr: no commits indexed for that timeline.
  consensus::Lsn limit;
  CommitReader read;  // Reads this timeline's pieces back.
};

// `ancestry` runs from the root down to the branch. `now_us` only tells present from future.
Result<LsnForTimestamp> lsn_for_timestamp(std::span<const AncestryLevel> ancestry,
                                          std::int64_t t_us, std::int64_t now_us);

}  // namespace sk::branchmgr
