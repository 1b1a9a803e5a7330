// Which WAL of a timeline a safekeeper may remove (pure): whole segments below the removal
// horizon, the lowest LSN some holder still needs. The holders:
//   * not yet committed: nothing at or above this node's commit LSN goes;
//   * the tenant's history retention window: WAL from the end of the last commit older than
//     the window (branches and timestamps may start anywhere inside it);
//   * a persisted replication slot: from its restart LSN;
//   * the branch log: for every start of a live branch whose log runs through the timeline (at
//     its head, and where its log leaves each ancestor), the WAL that start replays: from the
//     start LSN of the snapshot it restores from when that snapshot is on this timeline, from
//     the timeline's beginning when it is an ancestor's or there is none, nothing when it is a
//     descendant's (needed_by_branches);
//   * a lagging peer: from the peer horizon, the LSN below which the proposer saw every acceptor
//     hold the WAL (the truncate LSN of its messages), so that a peer that fell behind (or was
//     down) catches up from us; while a peer is away the horizon stays put and so does the WAL;
//   * a timeline no branch uses keeps all of its WAL: no retention window applies to it.
// The rule is written once, here; the node gathers the inputs.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "branchmgr/branch_view.h"
#include "consensus/types.h"

namespace sk::branchmgr {

// A holder and the LSN from which it needs the WAL.
struct HeldFrom {
  consensus::Lsn lsn;
  std::string holder;  // "retention 7d", "slot NAME", "branch 'NAME'", "snapshot ID", "peer N"
  friend bool operator==(const HeldFrom&, const HeldFrom&) = default;
};

// What the live branches of `tenant` need of `timeline`; nullopt when no live branch's log runs
// through it (a deleted or reset branch's timeline). `root_start` is where the tenant's root
// timeline begins (its identity's start LSN), which the view does not know.
std::optional<HeldFrom> needed_by_branches(const BranchView& view,
                                           const consensus::TenantId& tenant,
                                           const consensus::TimelineId& timeline,
                                           consensus::Lsn root_start);

struct RemovalInputs {
  consensus::Lsn timeline_start;
  consensus::Lsn commit_lsn;  // This node's.
  // The tenant's window; nullopt when no branch uses the timeline (the branch log, or one made
  // through the timelines API): no window applies, and all of it is kept.
  std::optional<HeldFrom> retention;
  std::vector<HeldFrom> slots;
  std::optional<HeldFrom> branches;      // needed_by_branches.
  std::optional<HeldFrom> lagging_peer;  // The peer horizon: every peer holds the WAL below it.
};

// The lowest of the holders' LSNs, and who holds it (the first such in the order above on a
// tie).
HeldFrom removal_horizon(const RemovalInputs& inputs);

// The first segment that must stay: every segment below it lies wholly below `horizon`.
std::uint64_t first_kept_segment(consensus::Lsn horizon, std::uint64_t seg_size_bytes);

}  // namespace sk::branchmgr
