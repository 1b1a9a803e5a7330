// The removal horizon; see removal_horizon.h.
#include "branchmgr/removal_horizon.h"

#include <algorithm>

#include "branchmgr/snapshot_choice.h"

namespace sk::branchmgr {

using consensus::Lsn;

namespace {

// Keeps the lower of two needs; on a tie the one already held.
void lower(std::optional<HeldFrom>& held, HeldFrom candidate) {
  if (!held || candidate.lsn < held->lsn) {
    held = std::move(candidate);
  }
}

}  // namespace

std::optional<HeldFrom> needed_by_branches(const BranchView& view,
                                           const consensus::TenantId& tenant,
                                           const consensus::TimelineId& timeline, Lsn root_start) {
  const std::vector<Snapshot> snapshots = view.snapshots(tenant);
  std::optional<HeldFrom> needed;
  for (const Branch& branch : view.branches(tenant)) {
    const std::vector<Branch> chain = view.ancestry(branch);  // The branch first.
    const auto at = std::find_if(chain.begin(), chain.end(),
                                 [&](const Branch& b) { return b.timeline_id == timeline; });
    if (at == chain.end()) {
      continue;  // Its log does not run through this timeline.
    }
    const auto level = static_cast<std::size_t>(at - chain.begin());
    // Where this timeline's part of the branch's log begins.
    const Lsn begin = at->parent_timeline_id ? at->branch_lsn : root_start;
    std::vector<std::optional<Lsn>> branch_lsns;
    for (const Branch& b : chain) {
      branch_lsns.push_back(b.parent_timeline_id ? std::optional(b.branch_lsn) : std::nullopt);
    }
    std::vector<SnapshotCandidate> candidates;
    std::vector<const Snapshot*> of_candidate;
    for (const Snapshot& s : snapshots) {
      for (std::size_t l = 0; l < chain.size(); ++l) {
        if (s.timeline_id == chain[l].timeline_id) {
          candidates.push_back({l, s.end_lsn});
          of_candidate.push_back(&s);
          break;
        }
      }
    }
    // The starts: at the head, and where the log leaves each ancestor (as BranchView's
    // snapshot rule counts them).
    std::vector<Lsn> points{consensus::kMaxLsn};
    Lsn leaves = consensus::kMaxLsn;
    for (std::size_t l = 1; l < chain.size(); ++l) {
      leaves = std::min(leaves, chain[l - 1].branch_lsn);
      points.push_back(leaves);
    }
    const std::string holder = "branch '" + branch.name + "'";
    for (const Lsn point : points) {
      if (point <= begin) {
        continue;  // This start ends before the timeline's part begins.
      }
      const auto chosen = choose_snapshot(branch_lsns, point, candidates);
      if (!chosen || candidates[*chosen].level > level) {
        lower(needed, {begin, holder});  // Replays this timeline's whole part.
      } else if (candidates[*chosen].level == level) {
        lower(needed, {of_candidate[*chosen]->start_lsn,
                       "snapshot " + of_candidate[*chosen]->id.to_hex() + " (" + holder + ")"});
      }
      // A descendant's snapshot: this start reads none of this timeline.
    }
  }
  return needed;
}

HeldFrom removal_horizon(const RemovalInputs& inputs) {
  std::optional<HeldFrom> horizon = HeldFrom{inputs.commit_lsn, "not yet committed"};
  lower(horizon, inputs.retention ? *inputs.retention
                                  : HeldFrom{inputs.timeline_start, "no branch uses the timeline"});
  for (const HeldFrom& slot : inputs.slots) {
    lower(horizon, slot);
  }
  if (inputs.branches) {
    lower(horizon, *inputs.branches);
  }
  if (inputs.lagging_peer) {
    lower(horizon, *inputs.lagging_peer);
  }
  return *horizon;
}

std::uint64_t first_kept_segment(Lsn horizon, std::uint64_t seg_size_bytes) {
  return horizon.value() / seg_size_bytes;
}

}  // namespace sk::branchmgr
