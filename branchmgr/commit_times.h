// CommitTimes: one timeline's commit and abort records in WAL order, each with its time, and
// "as of T" resolution along a branch's ancestry. Pure.
//
// "As of T" follows PostgreSQL's recovery_target_time (inclusive): replay stops before the first
// commit or abort, in WAL order, whose time is after T, so the answer is the end of the commit
// before it. Commit times are not quite monotonic in WAL order (a backend takes its commit time
// before it inserts the record), which is why the search is for that first later commit, over
// the running maximum of the times, rather than for the largest time at or before T.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string_view>
#include <vector>

#include "consensus/types.h"

namespace sk::branchmgr {

class CommitTimes {
 public:
  struct Commit {
    std::int64_t unix_us = 0;
    consensus::Lsn end_lsn;
  };

  // The next commit in WAL order.
  void add(std::int64_t unix_us, consensus::Lsn end_lsn);
  // Forgets the commits ending below `lsn` (their WAL was removed). The running maximum of the
  // times goes on counting them: a later commit is still "later" than one forgotten.
  void forget_below(consensus::Lsn lsn);
  std::size_t size() const { return commits_.size(); }
  const Commit& at(std::size_t i) const { return commits_[i]; }
  // How many commits end at or before `limit`.
  std::size_t count_until(consensus::Lsn limit) const;
  // The first of the first `n` commits whose time is after `t`.
  std::optional<std::size_t> first_after(std::int64_t t, std::size_t n) const;

 private:
  std::vector<Commit> commits_;
  std::vector<std::int64_t> running_max_us_;  // running_max_us_[i] = max time of commits_[0..i].
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
};

// `ancestry` runs from the root down to the branch. `now_us` only tells present from future.
LsnForTimestamp lsn_for_timestamp(std::span<const AncestryLevel> ancestry, std::int64_t t_us,
                                  std::int64_t now_us);

}  // namespace sk::branchmgr
