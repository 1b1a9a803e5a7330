// BranchCommands; see branch_commands.h.
#include "safekeeper/branchlog/branch_commands.h"

#include <chrono>
#include <random>

#include "branchmgr/duration.h"
#include "branchmgr/rfc3339.h"
#include "safekeeper/pgwal/first_record.h"
#include "safekeeper/pgwal/wal_format.h"

namespace sk::safekeeper {

using branchmgr::Branch;
using consensus::Lsn;

BranchCommands::Sources BranchCommands::system_sources() {
  auto random = std::make_shared<std::mt19937_64>(std::random_device{}());
  return {[random] { return (*random)(); },
          [] {
            return std::chrono::duration_cast<std::chrono::microseconds>(
                       std::chrono::system_clock::now().time_since_epoch())
                .count();
          }};
}

BranchCommands::BranchCommands(Node& node, const BranchLogApplier& applier,
                               const ComposedWal& composed_wal,
                               const CommitTimeIndexer& commit_times, Sources sources,
                               RetentionLimits retention_limits)
    : node_(node),
      applier_(applier),
      composed_wal_(composed_wal),
      commit_times_(commit_times),
      sources_(std::move(sources)),
      retention_limits_(retention_limits) {}

template <class Id>
Id BranchCommands::new_id() const {
  typename Id::Bytes bytes{};
  for (std::size_t i = 0; i < bytes.size(); i += 8) {
    const std::uint64_t word = sources_.random_word();
    for (std::size_t k = 0; k < 8 && i + k < bytes.size(); ++k) {
      bytes[i + k] = static_cast<std::uint8_t>(word >> (8 * k));
    }
  }
  return Id(bytes);
}

// Timeline ids are never reused, not even those of deleted branches.
consensus::TimelineId BranchCommands::unused_timeline_id() const {
  consensus::TimelineId id;
  do {
    id = new_id<consensus::TimelineId>();
  } while (view().timeline_used(id));
  return id;
}

proto::BranchLogEntry BranchCommands::new_entry(proto::BranchLogChange change) const {
  return {new_id<consensus::ProposalId>(), sources_.now_unix_us(), std::move(change)};
}

// ----- Commands ---------------------------------------------------------------------------

Status BranchCommands::check_retention(std::uint64_t seconds) const {
  if (seconds < retention_limits_.min_s || seconds > retention_limits_.max_s) {
    return Error(ErrorCode::kInvalidArgument,
                 "history retention " + branchmgr::format_duration(seconds) + " must be from " +
                     branchmgr::format_duration(retention_limits_.min_s) + " to " +
                     branchmgr::format_duration(retention_limits_.max_s));
  }
  return {};
}

Result<BranchDecision> BranchCommands::change_tenant(const consensus::TenantId& tenant,
                                                     const TenantSettingsRequest& request) {
  auto found = view().find_tenant(tenant);
  if (!found) {
    return found.error();
  }
  if (!request.history_retention_s) {
    return BranchDecision(**found);  // Nothing to change.
  }
  if (Status s = check_retention(*request.history_retention_s); !s) {
    return s.error();
  }
  return BranchDecision(
      new_entry(proto::TenantSettingsChanged{tenant, *request.history_retention_s}));
}

Result<BranchDecision> BranchCommands::create_tenant(const CreateTenantRequest& request) {
  if (request.history_retention_s) {
    if (Status s = check_retention(*request.history_retention_s); !s) {
      return s.error();
    }
  }
  const consensus::TenantId id = request.tenant_id.value_or(new_id<consensus::TenantId>());
  if (const branchmgr::Tenant* existing = view().tenant(id)) {
    if (existing->name != request.name) {
      return Error(ErrorCode::kAlreadyExists,
                   "tenant " + id.to_hex() + " exists with the name '" + existing->name + "'");
    }
    return BranchDecision(*existing);
  }
  return BranchDecision(
      new_entry(proto::TenantCreated{id, request.name, request.history_retention_s.value_or(0)}));
}

Result<BranchDecision> BranchCommands::create_branch(const consensus::TenantId& tenant,
                                                     const CreateBranchRequest& request) {
  if (auto found = view().find_tenant(tenant); !found) {
    return found.error();
  }
  const Branch* parent = nullptr;
  if (request.parent) {
    auto found = view().find_branch(tenant, *request.parent);
    if (!found) {
      return Error(found.error().code(), "parent " + found.error().message());
    }
    parent = *found;
  }
  proto::BranchCreated created;
  created.tenant_id = tenant;
  created.name = request.name;
  created.parent_timeline_id =
      parent ? std::optional(parent->timeline_id) : std::optional<consensus::TimelineId>();
  created.idempotency_key = request.idempotency_key;
  created.request_fingerprint = request.fingerprint;
  created.lsn_chosen = request.lsn.has_value() || request.timestamp_us.has_value();
  created.timeline_id_chosen = request.timeline_id.has_value();
  created.branch_lsn = request.lsn.value_or(Lsn());
  created.is_protected = request.lifecycle.is_protected.value_or(false);
  created.expires_at_us = expiry_of(request.lifecycle).value_or(0);
  created.timeline_id = request.timeline_id ? *request.timeline_id : unused_timeline_id();
  // Without a key, an identical repeat is answered from the view and a conflict refused before
  // anything else; a key is the view's to match when the entry applies. As of a timestamp,
  // the LSN is resolved first.
  const bool keyless = request.idempotency_key.empty();
  if (keyless && !request.timestamp_us) {
    if (const Branch* same = view().repeats(created)) {
      return BranchDecision(*same);
    }
    if (std::optional<Error> refusal = view().check(created)) {
      return *refusal;
    }
  }
  if (parent != nullptr) {
    auto lsn = resolve_branch_point(*parent, request.lsn, request.timestamp_us);
    if (!lsn) {
      return lsn.error();
    }
    created.branch_lsn = *lsn;
  }
  if (keyless) {
    if (std::optional<Error> refusal = view().check(created)) {
      return *refusal;
    }
  }
  return BranchDecision(new_entry(std::move(created)));
}

Result<BranchDecision> BranchCommands::delete_branch(const consensus::TenantId& tenant,
                                                     const std::string& name_or_id) {
  auto branch = view().find_branch(tenant, name_or_id);
  if (!branch) {
    return branch.error();
  }
  const proto::BranchDeleted deleted{tenant, (*branch)->timeline_id};
  if (std::optional<Error> refusal = view().check(deleted)) {
    return *refusal;
  }
  return BranchDecision(new_entry(deleted));
}

Result<BranchDecision> BranchCommands::delete_expired() {
  const std::int64_t now = sources_.now_unix_us();
  for (const branchmgr::Tenant& tenant : view().tenants()) {
    for (const Branch& branch : view().branches(tenant.id)) {
      if (branch.expires_at_us == 0 || branch.expires_at_us > now) {
        continue;
      }
      const proto::BranchDeleted deleted{tenant.id, branch.timeline_id};
      if (!view().check(deleted)) {  // Children or protection keep it until they go.
        return BranchDecision(new_entry(deleted));
      }
    }
  }
  return BranchDecision(branchmgr::Object{});
}

std::optional<std::int64_t> BranchCommands::expiry_of(const BranchLifecycle& lifecycle) const {
  if (lifecycle.ttl_s) {
    return sources_.now_unix_us() + static_cast<std::int64_t>(*lifecycle.ttl_s * 1'000'000);
  }
  return lifecycle.expires_at_us;
}

Result<BranchDecision> BranchCommands::change_branch(const consensus::TenantId& tenant,
                                                     const std::string& name_or_id,
                                                     const BranchLifecycle& lifecycle) {
  auto branch = view().find_branch(tenant, name_or_id);
  if (!branch) {
    return branch.error();
  }
  const proto::BranchSettingsChanged changed{tenant, (*branch)->timeline_id, lifecycle.is_protected,
                                             expiry_of(lifecycle)};
  if (!changed.is_protected && !changed.expires_at_us) {
    return BranchDecision(**branch);  // Nothing to change.
  }
  return BranchDecision(new_entry(changed));
}

Result<BranchDecision> BranchCommands::reset_branch(const consensus::TenantId& tenant,
                                                    const std::string& name_or_id) {
  auto found = view().find_branch(tenant, name_or_id);
  if (!found) {
    return found.error();
  }
  const Branch& branch = **found;
  proto::BranchReset reset{tenant, branch.timeline_id, unused_timeline_id(), Lsn()};
  if (std::optional<Error> refusal = view().check(reset)) {
    return *refusal;
  }
  const Branch* parent = view().branch_with_timeline(tenant, *branch.parent_timeline_id);
  const std::optional<Lsn> head = parent ? head_of(*parent) : std::nullopt;
  if (!head) {
    return Error(ErrorCode::kFailedPrecondition,
                 "the parent of branch '" + branch.name + "' has no WAL here yet");
  }
  reset.branch_lsn = *head;
  return BranchDecision(new_entry(reset));
}

Result<BranchDecision> BranchCommands::restore_branch(const consensus::TenantId& tenant,
                                                      const std::string& name_or_id,
                                                      const RestoreBranchRequest& request) {
  auto found = view().find_branch(tenant, name_or_id);
  if (!found) {
    return found.error();
  }
  const Branch& branch = **found;
  const Branch* source = &branch;
  if (request.source) {
    auto named = view().find_branch(tenant, *request.source);
    if (!named) {
      return Error(named.error().code(), "source " + named.error().message());
    }
    source = *named;
  }
  proto::BranchRestored restored{
      tenant, branch.timeline_id,         unused_timeline_id(), source->timeline_id,
      Lsn(),  request.preserve_under_name};
  if (std::optional<Error> refusal = view().check(restored)) {
    return *refusal;
  }
  auto lsn = resolve_branch_point(*source, request.lsn, request.timestamp_us);
  if (!lsn) {
    return lsn.error();
  }
  restored.branch_lsn = *lsn;
  return BranchDecision(new_entry(std::move(restored)));
}

Result<BranchDecision> BranchCommands::register_snapshot(const consensus::TenantId& tenant,
                                                         const RegisterSnapshotRequest& request) {
  if (auto found = view().find_tenant(tenant); !found) {
    return found.error();
  }
  auto branch = view().find_branch(tenant, request.branch);
  if (!branch) {
    return branch.error();
  }
  return BranchDecision(new_entry(proto::SnapshotRegistered{
      tenant, request.snapshot_id.value_or(new_id<consensus::SnapshotId>()), (*branch)->timeline_id,
      request.start_lsn, request.end_lsn, request.location, request.checksum, request.size_bytes}));
}

// The rule is the view's (snapshot_to_delete), checked here and again when the entry applies.
Result<BranchDecision> BranchCommands::delete_snapshot(const consensus::TenantId& tenant,
                                                       const consensus::SnapshotId& id) {
  if (auto deletable = view().snapshot_to_delete(tenant, id); !deletable) {
    return deletable.error();
  }
  return BranchDecision(new_entry(proto::SnapshotDeleted{tenant, id}));
}

// ----- What this node knows of a branch's WAL ---------------------------------------------

std::optional<branchmgr::RemovalInputs> BranchCommands::removal_inputs(
    const storage::TimelineKey& key) const {
  Timeline* timeline = node_.timeline(key);
  if (timeline == nullptr) {
    return std::nullopt;
  }
  const consensus::AcceptorState& state = timeline->acceptor().state();
  const Lsn start = state.identity.timeline_start_lsn;
  branchmgr::RemovalInputs inputs;
  inputs.timeline_start = start;
  inputs.commit_lsn = state.commit_lsn;
  inputs.lagging_peer = branchmgr::HeldFrom{std::max(state.truncate_lsn, start), "peer horizon"};
  if (auto slots = node_.slot_store().load_all(); slots) {
    for (const storage::StoredSlot& slot : *slots) {
      if (slot.timeline == key && slot.restart_lsn != Lsn()) {
        inputs.slots.push_back({slot.restart_lsn, "slot " + slot.name});
      }
    }
  } else {
    inputs.slots.push_back({start, "slots unreadable: " + slots.error().message()});
  }
  const Branch* branch = view().branch_with_timeline(key.tenant_id, key.timeline_id);
  if (branch == nullptr) {
    return inputs;  // No branch: the branch log, or a timeline made through the timelines API.
  }
  // The retention floor lies on this timeline or below its start (then all of it is kept). The
  // WAL is kept from the start of the commit-time index's piece the floor lies in, for the index
  // to answer there.
  const std::string window = "retention " + branchmgr::format_duration(retention_of(*branch));
  auto floor = retention_floor(*branch);
  Lsn kept_for_window = start;
  if (floor && *floor && **floor > start) {
    const CommitTimeIndexer::Indexed* indexed = commit_times_.indexed(key);
    kept_for_window = indexed != nullptr && indexed->commits
                          ? std::max(start, indexed->commits->piece_begin_for(**floor))
                          : start;
  }
  inputs.retention = branchmgr::HeldFrom{kept_for_window, window};
  inputs.branches = branchmgr::needed_by_branches(view(), key.tenant_id, key.timeline_id,
                                                  history_start_of(*branch).value_or(start));
  return inputs;
}

std::optional<Lsn> BranchCommands::head_of(const Branch& branch) const {
  std::optional<Lsn> head;
  if (branch.parent_timeline_id) {
    head = branch.branch_lsn;
  }
  if (const Timeline* own = node_.timeline({branch.tenant_id, branch.timeline_id})) {
    const Lsn committed = own->acceptor().state().commit_lsn;
    if (!head || committed > *head) {
      head = committed;
    }
  }
  return head;
}

// Where the branch's history begins: its root's timeline start. nullopt when the root's
// timeline is not hosted here.
std::optional<Lsn> BranchCommands::history_start_of(const Branch& branch) const {
  const Branch root = view().ancestry(branch).back();
  if (const Timeline* timeline = node_.timeline({root.tenant_id, root.timeline_id})) {
    return timeline->acceptor().state().identity.timeline_start_lsn;
  }
  return std::nullopt;
}

// The LSN a new child of `parent` starts at: the one asked for, checked against the parent's
// history on this node, or the parent's head.
Result<Lsn> BranchCommands::resolve_branch_point(const Branch& parent, std::optional<Lsn> asked,
                                                 std::optional<std::int64_t> timestamp_us) const {
  const std::optional<Lsn> head = head_of(parent);
  const std::optional<Lsn> start = history_start_of(parent);
  if (!head || !start) {
    return Error(ErrorCode::kFailedPrecondition,
                 "branch '" + parent.name +
                     "' has no WAL on this safekeeper yet: start a compute on it first");
  }
  if (timestamp_us) {
    return timestamp_point(parent, *timestamp_us);
  }
  if (!asked) {
    return *head;
  }
  const Lsn lsn = *asked;
  if (lsn < *start || lsn > *head) {
    return Error(ErrorCode::kInvalidArgument,
                 "LSN " + lsn.to_string() + " is not in the retained history of branch '" +
                     parent.name + "' [" + start->to_string() + ", " + head->to_string() + "]");
  }
  auto floor = retention_floor(parent);
  if (!floor) {
    return floor.error();
  }
  if (*floor && lsn < **floor) {
    return Error(ErrorCode::kInvalidArgument,
                 "LSN " + lsn.to_string() + " is older than " + retention_text(parent) +
                     " (history is kept from " + (*floor)->to_string() + ")");
  }
  if (lsn.value() % 8 != 0) {
    return Error(
        ErrorCode::kInvalidArgument,
        "LSN " + lsn.to_string() + " is not a record boundary (WAL records start 8-byte aligned)");
  }
  if (lsn != *head && lsn != *start) {
    auto boundary = record_boundary(parent, lsn);
    if (!boundary) {
      return boundary.error();
    }
    if (!*boundary) {
      return Error(ErrorCode::kInvalidArgument,
                   "LSN " + lsn.to_string() + " is not a record boundary of branch '" +
                       parent.name +
                       "': it falls inside a WAL record (the end of a commit, as "
                       "lsn_by_timestamp gives, is one)");
    }
  }
  return lsn;
}

Result<Lsn> BranchCommands::timestamp_point(const Branch& parent, std::int64_t t_us) const {
  auto as_of = as_of_timestamp(parent, t_us);
  if (!as_of) {
    return as_of.error();
  }
  const std::string when = branchmgr::format_rfc3339(t_us);
  switch (as_of->kind) {
    case branchmgr::TimestampKind::kPast:
    case branchmgr::TimestampKind::kPresent:
      return *as_of->lsn;
    case branchmgr::TimestampKind::kFuture:
      return Error(ErrorCode::kInvalidArgument,
                   "timestamp " + when + " is in the future: branch '" + parent.name +
                       "' has no history there yet (its last commit ends at " +
                       as_of->lsn->to_string() + ")");
    case branchmgr::TimestampKind::kBeforeData:
      break;
  }
  return Error(ErrorCode::kInvalidArgument, "timestamp " + when +
                                                " is before any commit in the retained history "
                                                "of branch '" +
                                                parent.name + "'");
}

// Whether a record of the branch's composed log ends at `lsn`: where PostgreSQL's recovery
// of a compute on the new branch will stop.
Result<bool> BranchCommands::record_boundary(const Branch& branch, Lsn lsn) const {
  auto composition = composed_wal_.compose({branch.tenant_id, branch.timeline_id});
  if (!composition) {
    return composition.error();
  }
  const Lsn page = pgwal::boundary_check_page(lsn);
  const Lsn from = std::max(page, composition->identity.timeline_start_lsn);
  const Lsn until = std::min(composition->committed, lsn.plus_bytes(pgwal::kWalPageSizeBytes));
  if (from != page || until < lsn) {
    return true;  // Its page begins before the history held here: cannot be told; accepted.
  }
  auto bytes = ComposedWal::read(*composition, from, until);
  if (!bytes) {
    return bytes.error();
  }
  return pgwal::is_record_boundary(*bytes, page, lsn, composition->identity.wal_seg_size_bytes);
}

Result<branchmgr::LsnForTimestamp> BranchCommands::as_of_timestamp(const Branch& branch,
                                                                   std::int64_t t_us) const {
  if (Status s = check_within_retention(branch, t_us); !s) {
    return s.error();
  }
  return as_of_indexed(branch, t_us, true);
}

std::uint64_t BranchCommands::retention_of(const Branch& branch) const {
  const branchmgr::Tenant* tenant = view().tenant(branch.tenant_id);
  return tenant != nullptr ? tenant->history_retention_s : branchmgr::kDefaultHistoryRetentionS;
}

std::int64_t BranchCommands::retained_since_us(const Branch& branch) const {
  return sources_.now_unix_us() - static_cast<std::int64_t>(retention_of(branch) * 1'000'000);
}

std::string BranchCommands::retention_text(const Branch& branch) const {
  return "the history retention window of tenant " + branch.tenant_id.to_hex() + ": " +
         branchmgr::format_duration(retention_of(branch));
}

Status BranchCommands::check_within_retention(const Branch& branch, std::int64_t t_us) const {
  const std::int64_t since_us = retained_since_us(branch);
  if (t_us < since_us) {
    return Error(ErrorCode::kInvalidArgument, "timestamp " + branchmgr::format_rfc3339(t_us) +
                                                  " is older than " + retention_text(branch) +
                                                  " (history is kept from " +
                                                  branchmgr::format_rfc3339(since_us) + ")");
  }
  return {};
}

Result<std::optional<Lsn>> BranchCommands::retention_floor(const Branch& branch) const {
  auto as_of = as_of_indexed(branch, retained_since_us(branch), false);
  if (!as_of) {
    return as_of.error();
  }
  return as_of->lsn;  // nullopt before any commit that old.
}

Result<branchmgr::LsnForTimestamp> BranchCommands::as_of_indexed(const Branch& branch,
                                                                 std::int64_t t_us,
                                                                 bool require_fresh) const {
  const std::vector<Branch> chain = view().ancestry(branch);  // The branch first.
  std::vector<branchmgr::AncestryLevel> levels;
  for (std::size_t i = chain.size(); i-- > 0;) {
    const Branch& level = chain[i];
    const Lsn limit = i > 0 ? chain[i - 1].branch_lsn : consensus::kMaxLsn;
    const storage::TimelineKey key{level.tenant_id, level.timeline_id};
    const Timeline* timeline = node_.timeline(key);
    const CommitTimeIndexer::Indexed* indexed = commit_times_.indexed(key);
    if (timeline == nullptr || indexed == nullptr || !indexed->commits) {
      levels.push_back({nullptr, limit, {}});
      continue;
    }
    if (indexed->failure) {
      return Error(indexed->failure->code(), "the commit-time index of branch '" + level.name +
                                                 "' stopped: " + indexed->failure->message());
    }
    const Lsn needed =
        std::min(limit, std::min(timeline->acceptor().state().commit_lsn, timeline->flush_lsn()));
    if (require_fresh && commit_times_.indexed_lsn(key) < needed) {
      return Error(ErrorCode::kUnavailable,
                   "the commit-time index of branch '" + level.name + "' is at " +
                       commit_times_.indexed_lsn(key).to_string() + ", catching up to " +
                       needed.to_string() + "; retry shortly");
    }
    levels.push_back({&*indexed->commits, limit, commit_times_.reader(key)});
  }
  return branchmgr::lsn_for_timestamp(levels, t_us, sources_.now_unix_us());
}

}  // namespace sk::safekeeper
