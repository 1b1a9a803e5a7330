// ComposedWal: the WAL a reader of a timeline sees. For a timeline that is a branch in the
// branch log, that is its ancestors' WAL up to where it left each of them, then its own
// (branchmgr::wal_spans); for any other timeline, its own. A branch that has no WAL of its own
// yet (no compute has run on it) is its parent's log up to the branch LSN.
//
// compose() runs on the worker thread only: it reads timelines and the branch view, O(ancestors)
// work and no I/O. The Composition it returns is a self-contained description (each piece's
// DurableWalReader, and the committed end as of that moment), so read() may run on any thread,
// later: bytes below `committed` never change (storage/durable_wal_reader.h), and the readers
// outlive the timelines they came from.
#pragma once

#include <functional>
#include <memory>
#include <vector>

#include "safekeeper/branchlog/branch_log_applier.h"
#include "safekeeper/timeline/timeline.h"

namespace sk::safekeeper {

struct Composition {
  // The key asked for, with the system, version and segment size of the timelines composed;
  // timeline_start_lsn is where the composed log begins on this node (its root's start).
  consensus::TimelineIdentity identity;
  struct Piece {
    std::shared_ptr<const storage::DurableWalReader> wal;
    consensus::Lsn from;
    consensus::Lsn until;
  };
  std::vector<Piece> pieces;  // In LSN order.
  // The end of what readers may have: every piece committed and durable here, without a gap.
  consensus::Lsn committed;
};

class ComposedWal {
 public:
  using Lookup = std::function<Timeline*(const storage::TimelineKey&)>;
  // `branches` is null on a node without a branch log: every timeline is then its own.
  ComposedWal(Lookup lookup, const BranchLogApplier* branches)
      : lookup_(std::move(lookup)), branches_(branches) {}

  // kNotFound when neither the timeline nor, for a branch, the root of its log is hosted here,
  // or when an ancestor in the middle is missing.
  Result<Composition> compose(const storage::TimelineKey& key) const;

  // Bytes [from, until) of the composed log; any thread. kInvalidArgument if `until` is above
  // composition.committed: only committed bytes may be read off the worker thread.
  static Result<std::vector<std::uint8_t>> read(const Composition& composition, consensus::Lsn from,
                                                consensus::Lsn until);

 private:
  Lookup lookup_;
  const BranchLogApplier* branches_;
};

}  // namespace sk::safekeeper
