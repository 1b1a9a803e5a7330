// BranchView; see branch_view.h.
#include "branchmgr/branch_view.h"

#include <algorithm>

#include "branchmgr/snapshot_choice.h"

namespace sk::branchmgr {

namespace {

Outcome refused(ErrorCode code, std::string message) {
  Outcome outcome;
  outcome.error = Error(code, std::move(message));
  return outcome;
}

template <class Object>
Outcome done(Object object, bool changed) {
  Outcome outcome;
  outcome.object = std::move(object);
  outcome.changed = changed;
  return outcome;
}

std::string tenant_text(const consensus::TenantId& id) {
  return "tenant " + id.to_hex();
}

Error protected_error(const Branch& branch, const std::string& what) {
  return Error(ErrorCode::kFailedPrecondition, "branch '" + branch.name +
                                                   "' is protected and cannot be " + what +
                                                   "; unprotect it first (protected: false)");
}

}  // namespace

Outcome BranchView::apply(const proto::BranchLogEntry& entry) {
  ++applied_entries_;
  if (const Outcome* first = outcome(entry.proposal_id)) {
    Outcome again = *first;
    return again;
  }
  Outcome outcome = std::visit(
      [&](const auto& change) { return apply_change(change, entry.proposed_at_us); }, entry.change);
  keep_outcome(entry.proposal_id, outcome);
  return outcome;
}

void BranchView::keep_outcome(const consensus::ProposalId& proposal, Outcome outcome) {
  outcomes_[proposal] = std::move(outcome);
  outcome_order_.push_back(proposal);
  if (outcome_order_.size() > kKeptOutcomes) {
    outcomes_.erase(outcome_order_.front());
    outcome_order_.pop_front();
  }
}

const Outcome* BranchView::outcome(const consensus::ProposalId& proposal) const {
  auto it = outcomes_.find(proposal);
  return it == outcomes_.end() ? nullptr : &it->second;
}

Outcome BranchView::apply_change(const proto::TenantCreated& c, std::int64_t at_us) {
  if (auto it = tenants_.find(c.tenant_id); it != tenants_.end()) {
    if (it->second.name != c.name) {
      return refused(ErrorCode::kAlreadyExists,
                     tenant_text(c.tenant_id) + " exists with the name '" + it->second.name + "'");
    }
    return done(it->second, false);
  }
  Tenant tenant{c.tenant_id, c.name, at_us,
                c.history_retention_s != 0 ? c.history_retention_s : kDefaultHistoryRetentionS};
  tenants_.emplace(c.tenant_id, tenant);
  return done(std::move(tenant), true);
}

Outcome BranchView::apply_change(const proto::BranchSettingsChanged& c, std::int64_t at_us) {
  const Branch* found = branch_with_timeline(c.tenant_id, c.timeline_id);
  if (found == nullptr) {
    return refused(ErrorCode::kNotFound, "no branch of " + tenant_text(c.tenant_id) +
                                             " has timeline " + c.timeline_id.to_hex() +
                                             " (deleted, or reset meanwhile)");
  }
  Branch& branch = branches_.at(BranchKey{c.tenant_id, found->name});
  const Branch before = branch;
  if (c.is_protected) {
    branch.is_protected = *c.is_protected;
  }
  if (c.expires_at_us) {
    branch.expires_at_us = *c.expires_at_us;
  }
  const bool changed =
      branch.is_protected != before.is_protected || branch.expires_at_us != before.expires_at_us;
  if (changed) {
    branch.updated_at_us = at_us;
  }
  return done(branch, changed);
}

Outcome BranchView::apply_change(const proto::TenantSettingsChanged& c, std::int64_t /*at_us*/) {
  auto it = tenants_.find(c.tenant_id);
  if (it == tenants_.end()) {
    auto missing = find_tenant(c.tenant_id);
    return refused(missing.error().code(), missing.error().message());
  }
  Tenant& tenant = it->second;
  const Tenant before = tenant;
  if (c.history_retention_s != 0) {
    tenant.history_retention_s = c.history_retention_s;
  }
  return done(tenant, tenant.history_retention_s != before.history_retention_s);
}

Outcome BranchView::apply_change(const proto::BranchCreated& c, std::int64_t at_us) {
  if (!c.idempotency_key.empty()) {
    auto it = idempotency_.find({c.tenant_id, c.idempotency_key});
    if (it != idempotency_.end()) {
      if (it->second.request_fingerprint != c.request_fingerprint) {
        return refused(
            ErrorCode::kIdempotencyKeyReused,
            "Idempotency-Key '" + c.idempotency_key + "' was used before with a different request");
      }
      Outcome repeat = it->second.outcome;
      repeat.changed = false;
      return repeat;
    }
  }
  Outcome outcome;
  if (std::optional<Error> refusal = check(c)) {
    outcome.error = std::move(refusal);
  } else if (const Branch* existing = repeats(c)) {
    outcome = done(*existing, false);
  } else {
    Branch branch{c.tenant_id,  c.name,         c.timeline_id,  c.parent_timeline_id,
                  c.branch_lsn, at_us,          at_us,          c.timeline_id_chosen,
                  c.lsn_chosen, c.is_protected, c.expires_at_us};
    branches_.emplace(BranchKey{c.tenant_id, c.name}, branch);
    used_timelines_.insert(c.timeline_id);
    outcome = done(std::move(branch), true);
  }
  if (!c.idempotency_key.empty() && !outcome.error) {
    idempotency_[{c.tenant_id, c.idempotency_key}] = {c.request_fingerprint, outcome};
  }
  return outcome;
}

Outcome BranchView::apply_change(const proto::BranchDeleted& c, std::int64_t /*at_us*/) {
  if (std::optional<Error> refusal = check(c)) {
    return refused(refusal->code(), refusal->message());
  }
  Branch deleted = *branch_with_timeline(c.tenant_id, c.timeline_id);
  branches_.erase(BranchKey{c.tenant_id, deleted.name});
  return done(std::move(deleted), true);
}

Outcome BranchView::apply_change(const proto::BranchReset& c, std::int64_t at_us) {
  if (std::optional<Error> refusal = check(c)) {
    return refused(refusal->code(), refusal->message());
  }
  const Branch* found = branch_with_timeline(c.tenant_id, c.timeline_id);
  Branch& branch = branches_.at(BranchKey{c.tenant_id, found->name});
  branch.timeline_id = c.new_timeline_id;
  branch.branch_lsn = c.branch_lsn;
  branch.updated_at_us = at_us;
  used_timelines_.insert(c.new_timeline_id);
  return done(branch, true);
}

Outcome BranchView::apply_change(const proto::BranchRestored& c, std::int64_t at_us) {
  if (std::optional<Error> refusal = check(c)) {
    return refused(refusal->code(), refusal->message());
  }
  const Branch before = *branch_with_timeline(c.tenant_id, c.timeline_id);
  Branch& branch = branches_.at(BranchKey{c.tenant_id, before.name});
  branch.timeline_id = c.new_timeline_id;
  branch.parent_timeline_id = c.source_timeline_id;
  branch.branch_lsn = c.branch_lsn;
  branch.updated_at_us = at_us;
  used_timelines_.insert(c.new_timeline_id);
  if (!c.preserve_under_name.empty()) {
    // The old state, under the new name: its timeline, parent, branch point and children.
    Branch preserved = before;
    preserved.name = c.preserve_under_name;
    preserved.created_at_us = at_us;
    preserved.updated_at_us = at_us;
    preserved.is_protected = false;
    preserved.expires_at_us = 0;
    branches_.emplace(BranchKey{c.tenant_id, preserved.name}, std::move(preserved));
  }
  return done(branch, true);
}

const Branch* BranchView::repeats(const proto::BranchCreated& c) const {
  const Branch* existing = branch_named(c.tenant_id, c.name);
  const bool same = existing != nullptr && existing->parent_timeline_id == c.parent_timeline_id &&
                    (!c.lsn_chosen || existing->branch_lsn == c.branch_lsn) &&
                    (!c.timeline_id_chosen || existing->timeline_id == c.timeline_id);
  return same ? existing : nullptr;
}

std::optional<Error> BranchView::check(const proto::BranchCreated& c) const {
  if (auto tenant = find_tenant(c.tenant_id); !tenant) {
    return tenant.error();
  }
  if (branch_named(c.tenant_id, c.name) != nullptr) {
    if (repeats(c) != nullptr) {
      return std::nullopt;
    }
    return Error(ErrorCode::kAlreadyExists, "branch '" + c.name +
                                                "' exists with other parameters (parent, LSN or "
                                                "timeline id)");
  }
  if (std::optional<Error> taken = timeline_taken(c.timeline_id)) {
    return taken;
  }
  if (c.parent_timeline_id && branch_with_timeline(c.tenant_id, *c.parent_timeline_id) == nullptr) {
    return Error(ErrorCode::kNotFound, "parent timeline " + c.parent_timeline_id->to_hex() +
                                           " is not a branch of " + tenant_text(c.tenant_id) +
                                           " (deleted or never created)");
  }
  return std::nullopt;
}

std::optional<Error> BranchView::check(const proto::BranchDeleted& c) const {
  const Branch* branch = branch_with_timeline(c.tenant_id, c.timeline_id);
  if (branch == nullptr) {
    return Error(ErrorCode::kNotFound, "no branch of " + tenant_text(c.tenant_id) +
                                           " has timeline " + c.timeline_id.to_hex());
  }
  if (branch->is_protected) {
    return protected_error(*branch, "deleted");
  }
  if (std::optional<Error> kids = has_children(*branch, "; delete them first")) {
    return kids;
  }
  return std::nullopt;
}

std::optional<Error> BranchView::check(const proto::BranchReset& c) const {
  const Branch* found = branch_with_timeline(c.tenant_id, c.timeline_id);
  if (found == nullptr) {
    return Error(ErrorCode::kNotFound, "no branch of " + tenant_text(c.tenant_id) +
                                           " has timeline " + c.timeline_id.to_hex() +
                                           " (deleted, or reset meanwhile)");
  }
  if (found->is_protected) {
    return protected_error(*found, "reset");
  }
  if (!found->parent_timeline_id) {
    return Error(ErrorCode::kFailedPrecondition,
                 "branch '" + found->name + "' is a root branch: it has no parent to reset to");
  }
  if (std::optional<Error> kids = has_children(*found, "; delete them first")) {
    return kids;
  }
  if (std::optional<Error> taken = timeline_taken(c.new_timeline_id)) {
    return taken;
  }
  return std::nullopt;
}

std::optional<Error> BranchView::check(const proto::BranchRestored& c) const {
  const Branch* found = branch_with_timeline(c.tenant_id, c.timeline_id);
  if (found == nullptr) {
    return Error(ErrorCode::kNotFound, "no branch of " + tenant_text(c.tenant_id) +
                                           " has timeline " + c.timeline_id.to_hex() +
                                           " (deleted, or reset or restored meanwhile)");
  }
  if (found->is_protected) {
    return protected_error(*found, "restored");
  }
  if (branch_with_timeline(c.tenant_id, c.source_timeline_id) == nullptr) {
    return Error(ErrorCode::kNotFound, "source timeline " + c.source_timeline_id.to_hex() +
                                           " is not a branch of " + tenant_text(c.tenant_id) +
                                           " (deleted or never created)");
  }
  if (c.preserve_under_name.empty()) {
    if (c.source_timeline_id == c.timeline_id) {
      return Error(ErrorCode::kFailedPrecondition,
                   "restoring branch '" + found->name +
                       "' to its own history needs preserve_under_name: the restored branch "
                       "starts from its old timeline, which must stay a branch");
    }
    if (std::optional<Error> kids =
            has_children(*found, ": give preserve_under_name to keep them under the old state")) {
      return kids;
    }
  } else if (branch_named(c.tenant_id, c.preserve_under_name) != nullptr) {
    return Error(ErrorCode::kAlreadyExists, "branch '" + c.preserve_under_name +
                                                "' exists: choose another preserve_under_name");
  }
  if (std::optional<Error> taken = timeline_taken(c.new_timeline_id)) {
    return taken;
  }
  return std::nullopt;
}

Outcome BranchView::apply_change(const proto::SnapshotRegistered& c, std::int64_t at_us) {
  if (auto tenant = find_tenant(c.tenant_id); !tenant) {
    return refused(tenant.error().code(), tenant.error().message());
  }
  if (deleted_snapshots_.contains(c.snapshot_id)) {
    return refused(ErrorCode::kAlreadyExists, "snapshot " + c.snapshot_id.to_hex() +
                                                  " was deleted; a snapshot id is not reused");
  }
  for (const Snapshot& s : snapshots_) {
    if (s.id == c.snapshot_id) {
      const bool same = s.tenant_id == c.tenant_id && s.timeline_id == c.timeline_id &&
                        s.start_lsn == c.start_lsn && s.end_lsn == c.end_lsn &&
                        s.location == c.location && s.checksum == c.checksum;
      return same ? done(s, false)
                  : refused(ErrorCode::kAlreadyExists,
                            "snapshot " + c.snapshot_id.to_hex() + " exists with other parameters");
    }
  }
  if (!used_timelines_.contains(c.timeline_id)) {
    return refused(ErrorCode::kNotFound, "timeline " + c.timeline_id.to_hex() +
                                             " was never a branch of " + tenant_text(c.tenant_id));
  }
  if (c.end_lsn < c.start_lsn) {
    return refused(ErrorCode::kInvalidArgument, "snapshot end LSN " + c.end_lsn.to_string() +
                                                    " is below its start " +
                                                    c.start_lsn.to_string());
  }
  Snapshot snapshot{c.tenant_id, c.snapshot_id, c.timeline_id, c.start_lsn, c.end_lsn,
                    c.location,  c.checksum,    c.size_bytes,  at_us};
  snapshots_.push_back(snapshot);
  return done(std::move(snapshot), true);
}

Outcome BranchView::apply_change(const proto::SnapshotDeleted& c, std::int64_t /*at_us*/) {
  auto deletable = snapshot_to_delete(c.tenant_id, c.snapshot_id);
  if (!deletable) {
    return refused(deletable.error().code(), deletable.error().message());
  }
  std::erase_if(snapshots_, [&](const Snapshot& s) { return s.id == c.snapshot_id; });
  deleted_snapshots_.insert(c.snapshot_id);
  return done(std::move(*deletable), true);
}

Result<const Tenant*> BranchView::find_tenant(const consensus::TenantId& id) const {
  if (const Tenant* found = tenant(id)) {
    return found;
  }
  return Error(ErrorCode::kNotFound, tenant_text(id) + " does not exist");
}

Result<const Branch*> BranchView::find_branch(const consensus::TenantId& tenant,
                                              const std::string& name_or_id) const {
  if (const Branch* named = branch_named(tenant, name_or_id)) {
    return named;
  }
  if (auto id = consensus::TimelineId::parse_hex(name_or_id)) {
    if (const Branch* found = branch_with_timeline(tenant, *id)) {
      return found;
    }
  }
  return Error(ErrorCode::kNotFound,
               "branch '" + name_or_id + "' does not exist in " + tenant_text(tenant));
}

Result<Snapshot> BranchView::snapshot_to_delete(const consensus::TenantId& tenant,
                                                const consensus::SnapshotId& id) const {
  if (auto found_tenant = find_tenant(tenant); !found_tenant) {
    return found_tenant.error();
  }
  const Snapshot* found = snapshot(tenant, id);
  if (found == nullptr) {
    return Error(ErrorCode::kNotFound,
                 "snapshot " + id.to_hex() + " of " + tenant_text(tenant) +
                     (deleted_snapshots_.contains(id) ? " was deleted" : " does not exist"));
  }
  for (const auto& [key, branch] : branches_) {
    if (key.first != tenant) {
      continue;
    }
    if (auto why = start_using(branch, *found)) {
      return Error(ErrorCode::kFailedPrecondition,
                   *why + " would restore from snapshot " + id.to_hex() + ": it is needed");
    }
  }
  return *found;
}

std::optional<std::string> BranchView::start_using(const Branch& branch,
                                                   const Snapshot& snapshot) const {
  const std::vector<Branch> chain = ancestry(branch);
  std::vector<std::optional<consensus::Lsn>> branch_lsns;
  for (const Branch& level : chain) {
    branch_lsns.push_back(level.parent_timeline_id ? std::optional(level.branch_lsn)
                                                   : std::nullopt);
  }
  // The tenant's snapshots on the ancestry, with their index in snapshots_.
  std::vector<SnapshotCandidate> candidates;
  std::vector<const Snapshot*> of_candidate;
  for (const Snapshot& s : snapshots_) {
    for (std::size_t level = 0; level < chain.size(); ++level) {
      if (s.tenant_id == branch.tenant_id && s.timeline_id == chain[level].timeline_id) {
        candidates.push_back({level, s.end_lsn});
        of_candidate.push_back(&s);
        break;
      }
    }
  }
  auto uses = [&](consensus::Lsn point) {
    const auto chosen = choose_snapshot(branch_lsns, point, candidates);
    return chosen && of_candidate[*chosen]->id == snapshot.id;
  };
  const std::string start = "a start of branch '" + branch.name + "'";
  if (uses(consensus::kMaxLsn)) {
    return start + " at its head";
  }
  // Where the branch's log leaves each ancestor: the lowest branch point below that ancestor.
  consensus::Lsn leaves = consensus::kMaxLsn;
  for (std::size_t level = 1; level < chain.size(); ++level) {
    leaves = std::min(leaves, chain[level - 1].branch_lsn);
    if (uses(leaves)) {
      return start + " at " + leaves.to_string() + ", where it leaves '" + chain[level].name + "',";
    }
  }
  return std::nullopt;
}

const Tenant* BranchView::tenant(const consensus::TenantId& id) const {
  auto it = tenants_.find(id);
  return it == tenants_.end() ? nullptr : &it->second;
}

std::vector<Tenant> BranchView::tenants() const {
  std::vector<Tenant> list;
  for (const auto& [id, tenant] : tenants_) {
    list.push_back(tenant);
  }
  return list;
}

const Branch* BranchView::branch_named(const consensus::TenantId& tenant,
                                       const std::string& name) const {
  auto it = branches_.find(BranchKey{tenant, name});
  return it == branches_.end() ? nullptr : &it->second;
}

const Branch* BranchView::branch_with_timeline(const consensus::TenantId& tenant,
                                               const consensus::TimelineId& timeline) const {
  for (auto it = branches_.lower_bound(BranchKey{tenant, ""});
       it != branches_.end() && it->first.first == tenant; ++it) {
    if (it->second.timeline_id == timeline) {
      return &it->second;
    }
  }
  return nullptr;
}

std::vector<Branch> BranchView::branches(const consensus::TenantId& tenant) const {
  std::vector<Branch> list;
  for (auto it = branches_.lower_bound(BranchKey{tenant, ""});
       it != branches_.end() && it->first.first == tenant; ++it) {
    list.push_back(it->second);
  }
  return list;
}

std::vector<Branch> BranchView::children(const consensus::TenantId& tenant,
                                         const consensus::TimelineId& timeline) const {
  std::vector<Branch> list;
  for (const Branch& branch : branches(tenant)) {
    if (branch.parent_timeline_id == timeline) {
      list.push_back(branch);
    }
  }
  return list;
}

std::vector<Branch> BranchView::ancestry(const Branch& branch) const {
  std::vector<Branch> chain{branch};
  // A parent cannot be deleted while it has children, so every link resolves; the bound only
  // guards against a cycle no entry can create.
  while (chain.back().parent_timeline_id && chain.size() <= branches_.size()) {
    const Branch* parent = branch_with_timeline(branch.tenant_id, *chain.back().parent_timeline_id);
    if (parent == nullptr) {
      break;
    }
    chain.push_back(*parent);
  }
  return chain;
}

std::vector<Snapshot> BranchView::snapshots(const consensus::TenantId& tenant) const {
  std::vector<Snapshot> list;
  std::copy_if(snapshots_.begin(), snapshots_.end(), std::back_inserter(list),
               [&](const Snapshot& s) { return s.tenant_id == tenant; });
  return list;
}

const Snapshot* BranchView::snapshot(const consensus::TenantId& tenant,
                                     const consensus::SnapshotId& id) const {
  for (const Snapshot& s : snapshots_) {
    if (s.tenant_id == tenant && s.id == id) {
      return &s;
    }
  }
  return nullptr;
}

bool BranchView::timeline_used(const consensus::TimelineId& timeline) const {
  return used_timelines_.contains(timeline);
}

std::optional<Error> BranchView::has_children(const Branch& branch, const std::string& then) const {
  const std::vector<Branch> kids = children(branch.tenant_id, branch.timeline_id);
  if (kids.empty()) {
    return std::nullopt;
  }
  return Error(ErrorCode::kFailedPrecondition,
               "branch '" + branch.name + "' has " + std::to_string(kids.size()) +
                   " child branch(es), e.g. '" + kids.front().name + "'" + then);
}

std::optional<Error> BranchView::timeline_taken(const consensus::TimelineId& timeline) const {
  if (!used_timelines_.contains(timeline)) {
    return std::nullopt;
  }
  return Error(ErrorCode::kAlreadyExists,
               "timeline " + timeline.to_hex() + " is taken by another branch");
}

}  // namespace sk::branchmgr
