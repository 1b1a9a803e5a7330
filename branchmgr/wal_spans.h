// A branch's WAL as a sequence of spans of its ancestors' timelines. A branch's log is its
// parent's up to the branch LSN, then its own; its parent's is in turn the grandparent's up to
// the parent's branch LSN, and so on up to the root, whose log is its own timeline's. Readers
// (the replication port, /wal/{segment}, a compute's pg_wal) see the concatenation.
#pragma once

#include <vector>

#include "branchmgr/branch_view.h"

namespace sk::branchmgr {

// Bytes [from, until) of the branch's log are bytes [from, until) of `timeline`'s WAL.
struct WalSpan {
  consensus::TimelineId timeline;
  consensus::Lsn from;
  consensus::Lsn until;  // kMaxLsn for the branch's own timeline: its log goes on there.

  bool operator==(const WalSpan&) const = default;
};

// The spans of a branch's log in LSN order, from `ancestry` (the branch first, its root last;
// BranchView::ancestry()). The root's span starts at 0: where its timeline begins is the
// timeline's business. An ancestor whose child left it at or before its own branch LSN
// contributes no bytes and has no span.
std::vector<WalSpan> wal_spans(const std::vector<Branch>& ancestry);

}  // namespace sk::branchmgr
