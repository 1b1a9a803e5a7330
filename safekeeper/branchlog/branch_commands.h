// BranchCommands: what a request to change the branch log becomes, decided against this node's
// view and timelines: the entry to propose, or the object an identical repeat finds already
// there, or the refusal. The rules themselves are BranchView::check's (branchmgr/); what is
// decided here is what only a safekeeper knows: the LSN a branch starts at (the parent's head,
// a point checked to be a record boundary of its WAL, or the LSN "as of" a time from the
// commit-time index), and fresh ids. Ids and the wall clock come from `Sources`, so tests
// decide them.
//
// Worker thread only: it reads the view, the timelines and the commit-time index, which only
// that thread touches. Nothing here proposes or answers; BranchCommandRunner does.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <variant>

#include "branchmgr/branch_view.h"
#include "branchmgr/commit_times.h"
#include "branchmgr/removal_horizon.h"
#include "consensus/result.h"
#include "consensus/types.h"
#include "proto/branch_log_codec.h"
#include "safekeeper/branchlog/branch_log_applier.h"
#include "safekeeper/branchlog/branch_request_types.h"
#include "safekeeper/branchlog/commit_time_indexer.h"
#include "safekeeper/branchlog/composed_wal.h"
#include "safekeeper/node/node.h"

namespace sk::safekeeper {

// The history retention windows this node accepts (a test lowers the minimum).
struct RetentionLimits {
  std::uint64_t min_s = 3600;        // 1 hour.
  std::uint64_t max_s = 30 * 86400;  // 30 days.
};

// What a command decides: an entry to propose, or what an identical repeat found in the view.
using BranchDecision = std::variant<proto::BranchLogEntry, branchmgr::Object>;

class BranchCommands {
 public:
  struct Sources {
    std::function<std::uint64_t()> random_word;  // Uniform 64-bit words, for new ids.
    std::function<std::int64_t()> now_unix_us;   // The wall clock, Unix microseconds.
  };
  // std::random_device and the system clock.
  static Sources system_sources();

  BranchCommands(Node& node, const BranchLogApplier& applier, const ComposedWal& composed_wal,
                 const CommitTimeIndexer& commit_times, Sources sources,
                 RetentionLimits retention_limits = {});

  const branchmgr::BranchView& view() const { return applier_.view(); }

  Result<BranchDecision> create_tenant(const CreateTenantRequest& request);
  Result<BranchDecision> change_tenant(const consensus::TenantId& tenant,
                                       const TenantSettingsRequest& request);
  Result<BranchDecision> create_branch(const consensus::TenantId& tenant,
                                       const CreateBranchRequest& request);
  Result<BranchDecision> delete_branch(const consensus::TenantId& tenant,
                                       const std::string& name_or_id);
  // Protection and expiry.
  Result<BranchDecision> change_branch(const consensus::TenantId& tenant,
                                       const std::string& name_or_id,
                                       const BranchLifecycle& lifecycle);
  // The deletion of one expired branch (its expiry passed, no children, not protected), or the
  // empty object when none is due.
  Result<BranchDecision> delete_expired();
  // Same name, a new timeline starting at the parent's head.
  Result<BranchDecision> restore_branch(const consensus::TenantId& tenant,
                                        const std::string& name_or_id,
                                        const RestoreBranchRequest& request);
  Result<BranchDecision> reset_branch(const consensus::TenantId& tenant,
                                      const std::string& name_or_id);
  Result<BranchDecision> register_snapshot(const consensus::TenantId& tenant,
                                           const RegisterSnapshotRequest& request);
  Result<BranchDecision> delete_snapshot(const consensus::TenantId& tenant,
                                         const consensus::SnapshotId& id);

  // The end of the branch's committed WAL, as far as this node knows: its own timeline's commit
  // LSN, or where it left its parent while it has no WAL of its own. nullopt: a root branch
  // without any WAL yet.
  std::optional<consensus::Lsn> head_of(const branchmgr::Branch& branch) const;
  // "As of T" on a branch: its ancestry's commit-time indexes, each up to its child's branch
  // point. kUnavailable while an index has not caught up with the WAL it must cover.
  Result<branchmgr::LsnForTimestamp> as_of_timestamp(const branchmgr::Branch& branch,
                                                     std::int64_t t_us) const;
  // The removal rule's inputs for a hosted timeline as this node knows them (branchmgr/
  // removal_horizon.h): its commit LSN, the tenant's retention window, the slots as persisted
  // (a live slot's position is at or past its persisted one), what the live branches need, and
  // the peer horizon, below which the proposer saw every acceptor hold the WAL (the acceptor's
  // truncate LSN). nullopt when the timeline is not hosted. The retention window and the branches
  // are left out for a timeline no branch uses: nothing is removed from it (removable()).
  std::optional<branchmgr::RemovalInputs> removal_inputs(const storage::TimelineKey& key) const;
  // kInvalidArgument, naming the tenant's history retention window, when `t_us` is older than it.
  Status check_within_retention(const branchmgr::Branch& branch, std::int64_t t_us) const;

 private:
  proto::BranchLogEntry new_entry(proto::BranchLogChange change) const;
  template <class Id>
  Id new_id() const;
  consensus::TimelineId unused_timeline_id() const;
  std::optional<consensus::Lsn> history_start_of(const branchmgr::Branch& branch) const;
  Result<consensus::Lsn> resolve_branch_point(const branchmgr::Branch& parent,
                                              std::optional<consensus::Lsn> lsn,
                                              std::optional<std::int64_t> timestamp_us) const;
  Result<consensus::Lsn> timestamp_point(const branchmgr::Branch& parent, std::int64_t t_us) const;
  Result<bool> record_boundary(const branchmgr::Branch& branch, consensus::Lsn lsn) const;
  Status check_retention(std::uint64_t seconds) const;
  // The expiry time a lifecycle asks for, from now; nullopt when it says nothing of expiry.
  std::optional<std::int64_t> expiry_of(const BranchLifecycle& lifecycle) const;
  // `as_of_timestamp` from what the commit-time index has read so far, fresh or not.
  Result<branchmgr::LsnForTimestamp> as_of_indexed(const branchmgr::Branch& branch,
                                                   std::int64_t t_us, bool require_fresh) const;
  // The lowest LSN a branch may start at on `branch`: the end of the last commit older than the
  // retention window, as far as the index has read (so never above the true one); nullopt when
  // no indexed commit is that old.
  Result<std::optional<consensus::Lsn>> retention_floor(const branchmgr::Branch& branch) const;
  std::uint64_t retention_of(const branchmgr::Branch& branch) const;  // Seconds.
  // Now minus the window: the oldest time a branch may start at.
  std::int64_t retained_since_us(const branchmgr::Branch& branch) const;
  std::string retention_text(const branchmgr::Branch& branch) const;

  Node& node_;
  const BranchLogApplier& applier_;
  const ComposedWal& composed_wal_;
  const CommitTimeIndexer& commit_times_;
  Sources sources_;
  RetentionLimits retention_limits_;
};

}  // namespace sk::safekeeper
