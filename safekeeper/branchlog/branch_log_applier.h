// BranchLogApplier: this node's copy of the branch log, applied. The branch log is a timeline
// (tenant 0, timeline 0; branch_log_identity()) hosted like any other, written by the branch log
// writer of whichever node holds its term. After every round of the storage worker, the entries
// this node's acceptor has learnt are committed are decoded and applied to the BranchView, so
// the view follows the committed log on every node.
//
// Worker thread only, every member: HTTP reads of the view are posted to the worker, and so run
// after the round in which this node learnt of a commit (a writer answers its client only once
// every connected acceptor has reported knowing that commit; see BranchLogWriter).
#pragma once

#include <functional>
#include <optional>

#include "branchmgr/branch_view.h"
#include "safekeeper/timeline/timeline.h"

namespace sk::safekeeper {

// The branch log timeline's identity: the same on every node, so that any node's writer can be
// elected by the others. 1 MiB segments: the log is small.
consensus::TimelineIdentity branch_log_identity();
storage::TimelineKey branch_log_key();

class BranchLogApplier {
 public:
  using Lookup = std::function<Timeline*(const storage::TimelineKey&)>;
  // Called with each timeline a committed entry leaves to no branch (the timeline of a deleted
  // branch, the old timeline of a reset one), once the entry applies: the node removes it.
  // Also for entries replayed at start-up, so it must accept a timeline already gone.
  using Release = std::function<void(const storage::TimelineKey&)>;
  explicit BranchLogApplier(Lookup lookup, Release release = {})
      : lookup_(std::move(lookup)), release_(std::move(release)) {}

  // Applies what was committed since the last call. A record that does not decode stops the
  // applier for good (failure()): the view stays as it was, and routes answer with the error,
  // rather than serve a view that skipped an entry.
  void catch_up();

  const branchmgr::BranchView& view() const { return view_; }
  consensus::Lsn applied_lsn() const { return applied_lsn_; }
  const std::optional<Error>& failure() const { return failure_; }

 private:
  void released_by(const proto::BranchLogChange& change, const branchmgr::Outcome& outcome);

  Lookup lookup_;
  Release release_;
  branchmgr::BranchView view_;
  consensus::Lsn applied_lsn_;  // 0 until the timeline is first seen.
  std::optional<Error> failure_;
};

}  // namespace sk::safekeeper
