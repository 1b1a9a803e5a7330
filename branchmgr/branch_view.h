// BranchView: tenants, branches and snapshots as the committed branch log describes them. Every
// safekeeper applies the same committed entries in the same order, so every view agrees. Pure:
// no I/O, no clock (times come from the entries), no randomness.
//
// Applying never fails as a whole: a change the view refuses (a name taken with other
// parameters, an unknown parent, a branch with children) leaves the view unchanged, and its
// Outcome says why. Two nodes may propose conflicting changes at once; whichever is committed
// first wins on every node, and the other's writer reports the refusal.
#pragma once

#include <cstdint>
#include <deque>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <variant>
#include <vector>

#include "consensus/result.h"
#include "consensus/types.h"
#include "proto/branch_log_codec.h"

namespace sk::branchmgr {

// How far back a tenant's history is kept unless it says otherwise: 7 days.
inline constexpr std::uint64_t kDefaultHistoryRetentionS = 7 * 86400;

struct Tenant {
  consensus::TenantId id;
  std::string name;
  std::int64_t created_at_us = 0;
  // Its history retention window: WAL older than this (by commit time) may be removed, and no
  // branch may start there. Set at creation, changed by TenantSettingsChanged.
  std::uint64_t history_retention_s = kDefaultHistoryRetentionS;
};

struct Branch {
  consensus::TenantId tenant_id;
  std::string name;
  consensus::TimelineId timeline_id;
  std::optional<consensus::TimelineId> parent_timeline_id;  // nullopt: a root branch.
  consensus::Lsn branch_lsn;  // Where its own WAL begins (its parent's up to there).
  std::int64_t created_at_us = 0;
  std::int64_t updated_at_us = 0;  // Creation or the last reset or restore.
  // As the creating request fixed them (see proto::BranchCreated).
  bool timeline_id_chosen = false;
  bool lsn_chosen = false;
  // Delete and reset are refused while set. Changed by BranchSettingsChanged.
  bool is_protected = false;
  std::int64_t expires_at_us = 0;  // 0: never; kept by a reset.
};

struct Snapshot {
  consensus::TenantId tenant_id;
  consensus::SnapshotId id;
  consensus::TimelineId timeline_id;
  consensus::Lsn start_lsn;
  consensus::Lsn end_lsn;
  std::string location;
  std::string checksum;
  std::uint64_t size_bytes = 0;
  std::int64_t created_at_us = 0;
};

// A tenant, branch or snapshot, as a change made or found it.
using Object = std::variant<std::monostate, Tenant, Branch, Snapshot>;

// What applying one entry did.
struct Outcome {
  // Why the change was refused: kNotFound (no such tenant, branch, parent or snapshot),
  // kAlreadyExists (a name or id taken with other parameters, or a deleted snapshot's id),
  // kFailedPrecondition (the branch has children; a start would restore from the snapshot),
  // kIdempotencyKeyReused (the key came with another request).
  std::optional<Error> error;
  // The object created, changed or deleted (as it was), or found by an identical repeat.
  Object object;
  // False for an identical repeat that changed nothing.
  bool changed = false;
};

class BranchView {
 public:
  // Outcomes of this many most recent proposals are kept (see outcome()).
  static constexpr std::size_t kKeptOutcomes = 4096;

  // Applies the next committed entry. An entry whose proposal was applied already (proposed
  // again after a lost leadership) changes nothing and gets its first outcome.
  Outcome apply(const proto::BranchLogEntry& entry);

  // The outcome of a proposal among the last kKeptOutcomes applied; nullptr otherwise.
  const Outcome* outcome(const consensus::ProposalId& proposal) const;

  const Tenant* tenant(const consensus::TenantId& id) const;
  std::vector<Tenant> tenants() const;  // By id.
  const Branch* branch_named(const consensus::TenantId& tenant, const std::string& name) const;
  const Branch* branch_with_timeline(const consensus::TenantId& tenant,
                                     const consensus::TimelineId& timeline) const;
  std::vector<Branch> branches(const consensus::TenantId& tenant) const;  // By name.
  // Live branches whose parent is `timeline`.
  std::vector<Branch> children(const consensus::TenantId& tenant,
                               const consensus::TimelineId& timeline) const;
  // The branch itself, then its parent, and so on up to its root.
  std::vector<Branch> ancestry(const Branch& branch) const;
  std::vector<Snapshot> snapshots(const consensus::TenantId& tenant) const;  // In log order.
  // Lookups that answer a request naming something: kNotFound, with the message, if absent.
  // A branch is named by its name or, failing that, by its timeline id in hex.
  Result<const Tenant*> find_tenant(const consensus::TenantId& id) const;
  Result<const Branch*> find_branch(const consensus::TenantId& tenant,
                                    const std::string& name_or_id) const;
  const Snapshot* snapshot(const consensus::TenantId& tenant,
                           const consensus::SnapshotId& id) const;

  // The rule for deleting a snapshot, checked by the HTTP route before it proposes a
  // SnapshotDeleted and again when the entry applies (a branch created in between may need it):
  // the snapshot, if it may go. kNotFound: no such tenant, or no such snapshot (never
  // registered, or deleted). kFailedPrecondition, naming the branch: a start of some live branch
  // would restore from it (choose_snapshot, snapshot_choice.h) — at the branch's head, which the
  // view does not know, so the newest snapshot a start there could use, or at a point where the
  // branch's log leaves an ancestor (each branch LSN on its ancestry).
  Result<Snapshot> snapshot_to_delete(const consensus::TenantId& tenant,
                                      const consensus::SnapshotId& id) const;
  // Each branch rule once, with its message: the refusal a change would meet if it were applied
  // now, or nullopt. The HTTP routes ask before they propose, apply_change asks again when the
  // entry applies (a change committed in between may have made it wrong). Idempotency keys are
  // apply()'s matter, not a rule.
  //   created: kNotFound (no such tenant; the parent is no live branch), kAlreadyExists (the
  //            name taken with other parameters; the timeline id taken). An exact repeat of a
  //            live branch passes (see repeats()).
  //   deleted: kNotFound (no live branch has the timeline), kFailedPrecondition (protected;
  //            children).
  //   reset:   kNotFound, kFailedPrecondition (protected; a root branch; children),
  //            kAlreadyExists (the new timeline id taken).
  //   restored: kNotFound (the branch or the source), kFailedPrecondition (protected; its old
  //            timeline would be left to no branch while its own restore or its children need
  //            it), kAlreadyExists (the preserve name or the new timeline id taken).
  std::optional<Error> check(const proto::BranchCreated& c) const;
  std::optional<Error> check(const proto::BranchDeleted& c) const;
  std::optional<Error> check(const proto::BranchReset& c) const;
  std::optional<Error> check(const proto::BranchRestored& c) const;
  // The live branch `c` asks for again (same name and parent, and the LSN and timeline id where
  // the request fixed them), or nullptr.
  const Branch* repeats(const proto::BranchCreated& c) const;
  // Whether any branch of any tenant has ever had this timeline (ids are never reused).
  bool timeline_used(const consensus::TimelineId& timeline) const;
  std::uint64_t applied_entries() const { return applied_entries_; }

 private:
  Outcome apply_change(const proto::TenantCreated& c, std::int64_t at_us);
  Outcome apply_change(const proto::BranchCreated& c, std::int64_t at_us);
  Outcome apply_change(const proto::BranchDeleted& c, std::int64_t at_us);
  Outcome apply_change(const proto::BranchReset& c, std::int64_t at_us);
  Outcome apply_change(const proto::BranchRestored& c, std::int64_t at_us);
  Outcome apply_change(const proto::SnapshotRegistered& c, std::int64_t at_us);
  Outcome apply_change(const proto::SnapshotDeleted& c, std::int64_t at_us);
  Outcome apply_change(const proto::TenantSettingsChanged& c, std::int64_t at_us);
  Outcome apply_change(const proto::BranchSettingsChanged& c, std::int64_t at_us);
  // Why a start of `branch` would restore from `snapshot` ("a start of branch 'dev' at ..."),
  // nullopt if no start of it would.
  std::optional<std::string> start_using(const Branch& branch, const Snapshot& snapshot) const;
  // The refusals several changes share: a branch with children (`then` says what to do), and a
  // timeline id some branch has had.
  std::optional<Error> has_children(const Branch& branch, const std::string& then) const;
  std::optional<Error> timeline_taken(const consensus::TimelineId& timeline) const;
  void keep_outcome(const consensus::ProposalId& proposal, Outcome outcome);

  using BranchKey = std::pair<consensus::TenantId, std::string>;
  using IdempotencyKey = std::pair<consensus::TenantId, std::string>;
  struct IdempotentResult {
    std::string request_fingerprint;
    Outcome outcome;
  };

  std::map<consensus::TenantId, Tenant> tenants_;
  std::map<BranchKey, Branch> branches_;  // Live branches by tenant and name.
  std::set<consensus::TimelineId> used_timelines_;
  std::map<IdempotencyKey, IdempotentResult> idempotency_;
  std::vector<Snapshot> snapshots_;                    // Registered and not deleted, in log order.
  std::set<consensus::SnapshotId> deleted_snapshots_;  // Never registered again.
  std::map<consensus::ProposalId, Outcome> outcomes_;
  std::deque<consensus::ProposalId> outcome_order_;
  std::uint64_t applied_entries_ = 0;
};

}  // namespace sk::branchmgr
