// The branch log's entries <-> branch_log.proto; see branch_log_codec.h. `pb::X` below is the
// generated type, `X` the struct.
#include "proto/branch_log_codec.h"

#include <utility>

#include "proto/branch_log.pb.h"
#include "proto/id_bytes.h"
#include "proto/parse.h"

namespace sk::proto {
namespace {

namespace pb = branch_log;

using consensus::Lsn;

Error corrupt(std::string text) {
  return Error(ErrorCode::kCorruption, "branch log entry: " + std::move(text));
}

void write_change(const TenantCreated& c, pb::BranchLogEntry& out) {
  auto* m = out.mutable_tenant_created();
  write_id(c.tenant_id, m->mutable_tenant_id());
  m->set_name(c.name);
  m->set_history_retention_s(c.history_retention_s);
}

void write_change(const TenantSettingsChanged& c, pb::BranchLogEntry& out) {
  auto* m = out.mutable_tenant_settings_changed();
  write_id(c.tenant_id, m->mutable_tenant_id());
  m->set_history_retention_s(c.history_retention_s);
}

void write_change(const BranchCreated& c, pb::BranchLogEntry& out) {
  auto* m = out.mutable_branch_created();
  write_id(c.tenant_id, m->mutable_tenant_id());
  m->set_name(c.name);
  write_id(c.timeline_id, m->mutable_timeline_id());
  if (c.parent_timeline_id) {
    write_id(*c.parent_timeline_id, m->mutable_parent_timeline_id());
  }
  m->set_branch_lsn(c.branch_lsn.value());
  m->set_timeline_id_chosen(c.timeline_id_chosen);
  m->set_lsn_chosen(c.lsn_chosen);
  m->set_idempotency_key(c.idempotency_key);
  m->set_request_fingerprint(c.request_fingerprint);
  m->set_is_protected(c.is_protected);
  m->set_expires_at_us(c.expires_at_us);
}

void write_change(const BranchSettingsChanged& c, pb::BranchLogEntry& out) {
  auto* m = out.mutable_branch_settings_changed();
  write_id(c.tenant_id, m->mutable_tenant_id());
  write_id(c.timeline_id, m->mutable_timeline_id());
  if (c.is_protected) {
    m->set_is_protected(*c.is_protected);
  }
  if (c.expires_at_us) {
    m->set_expires_at_us(*c.expires_at_us);
  }
}

void write_change(const BranchDeleted& c, pb::BranchLogEntry& out) {
  auto* m = out.mutable_branch_deleted();
  write_id(c.tenant_id, m->mutable_tenant_id());
  write_id(c.timeline_id, m->mutable_timeline_id());
}

void write_change(const BranchReset& c, pb::BranchLogEntry& out) {
  auto* m = out.mutable_branch_reset();
  write_id(c.tenant_id, m->mutable_tenant_id());
  write_id(c.timeline_id, m->mutable_timeline_id());
  write_id(c.new_timeline_id, m->mutable_new_timeline_id());
  m->set_branch_lsn(c.branch_lsn.value());
}

void write_change(const BranchRestored& c, pb::BranchLogEntry& out) {
  auto* m = out.mutable_branch_restored();
  write_id(c.tenant_id, m->mutable_tenant_id());
  write_id(c.timeline_id, m->mutable_timeline_id());
  write_id(c.new_timeline_id, m->mutable_new_timeline_id());
  write_id(c.source_timeline_id, m->mutable_source_timeline_id());
  m->set_branch_lsn(c.branch_lsn.value());
  m->set_preserve_under_name(c.preserve_under_name);
}

void write_change(const SnapshotRegistered& c, pb::BranchLogEntry& out) {
  auto* m = out.mutable_snapshot_registered();
  write_id(c.tenant_id, m->mutable_tenant_id());
  write_id(c.snapshot_id, m->mutable_snapshot_id());
  write_id(c.timeline_id, m->mutable_timeline_id());
  m->set_start_lsn(c.start_lsn.value());
  m->set_end_lsn(c.end_lsn.value());
  m->set_location(c.location);
  m->set_checksum(c.checksum);
  m->set_size_bytes(c.size_bytes);
}

void write_change(const SnapshotDeleted& c, pb::BranchLogEntry& out) {
  auto* m = out.mutable_snapshot_deleted();
  write_id(c.tenant_id, m->mutable_tenant_id());
  write_id(c.snapshot_id, m->mutable_snapshot_id());
}

template <class Id>
Result<Id> id_field(const std::string& bytes, std::string_view what) {
  return read_id<Id>(bytes, std::string("branch log entry: ") + std::string(what),
                     ErrorCode::kCorruption);
}

// The ids every change starts with; SK_TRY-style early returns keep each reader flat.
#define SK_READ_ID(target, Type, bytes, what) \
  auto target = id_field<Type>(bytes, what);  \
  if (!target) {                              \
    return target.error();                    \
  }

Result<BranchLogChange> read_change(const pb::TenantCreated& m) {
  SK_READ_ID(tenant, consensus::TenantId, m.tenant_id(), "tenant id");
  return BranchLogChange(TenantCreated{*tenant, m.name(), m.history_retention_s()});
}

Result<BranchLogChange> read_change(const pb::BranchSettingsChanged& m) {
  SK_READ_ID(tenant, consensus::TenantId, m.tenant_id(), "tenant id");
  SK_READ_ID(timeline, consensus::TimelineId, m.timeline_id(), "timeline id");
  BranchSettingsChanged c{*tenant, *timeline, std::nullopt, std::nullopt};
  if (m.has_is_protected()) {
    c.is_protected = m.is_protected();
  }
  if (m.has_expires_at_us()) {
    c.expires_at_us = m.expires_at_us();
  }
  return BranchLogChange(c);
}

Result<BranchLogChange> read_change(const pb::TenantSettingsChanged& m) {
  SK_READ_ID(tenant, consensus::TenantId, m.tenant_id(), "tenant id");
  return BranchLogChange(TenantSettingsChanged{*tenant, m.history_retention_s()});
}

Result<BranchLogChange> read_change(const pb::BranchCreated& m) {
  SK_READ_ID(tenant, consensus::TenantId, m.tenant_id(), "tenant id");
  SK_READ_ID(timeline, consensus::TimelineId, m.timeline_id(), "timeline id");
  BranchCreated c;
  c.tenant_id = *tenant;
  c.name = m.name();
  c.timeline_id = *timeline;
  if (!m.parent_timeline_id().empty()) {
    SK_READ_ID(parent, consensus::TimelineId, m.parent_timeline_id(), "parent timeline id");
    c.parent_timeline_id = *parent;
  }
  c.branch_lsn = Lsn(m.branch_lsn());
  c.timeline_id_chosen = m.timeline_id_chosen();
  c.lsn_chosen = m.lsn_chosen();
  c.idempotency_key = m.idempotency_key();
  c.request_fingerprint = m.request_fingerprint();
  c.is_protected = m.is_protected();
  c.expires_at_us = m.expires_at_us();
  return BranchLogChange(std::move(c));
}

Result<BranchLogChange> read_change(const pb::BranchDeleted& m) {
  SK_READ_ID(tenant, consensus::TenantId, m.tenant_id(), "tenant id");
  SK_READ_ID(timeline, consensus::TimelineId, m.timeline_id(), "timeline id");
  return BranchLogChange(BranchDeleted{*tenant, *timeline});
}

Result<BranchLogChange> read_change(const pb::BranchReset& m) {
  SK_READ_ID(tenant, consensus::TenantId, m.tenant_id(), "tenant id");
  SK_READ_ID(timeline, consensus::TimelineId, m.timeline_id(), "timeline id");
  SK_READ_ID(new_timeline, consensus::TimelineId, m.new_timeline_id(), "new timeline id");
  return BranchLogChange(BranchReset{*tenant, *timeline, *new_timeline, Lsn(m.branch_lsn())});
}

Result<BranchLogChange> read_change(const pb::BranchRestored& m) {
  SK_READ_ID(tenant, consensus::TenantId, m.tenant_id(), "tenant id");
  SK_READ_ID(timeline, consensus::TimelineId, m.timeline_id(), "timeline id");
  SK_READ_ID(new_timeline, consensus::TimelineId, m.new_timeline_id(), "new timeline id");
  SK_READ_ID(source, consensus::TimelineId, m.source_timeline_id(), "source timeline id");
  return BranchLogChange(BranchRestored{*tenant, *timeline, *new_timeline, *source,
                                        Lsn(m.branch_lsn()), m.preserve_under_name()});
}

Result<BranchLogChange> read_change(const pb::SnapshotRegistered& m) {
  SK_READ_ID(tenant, consensus::TenantId, m.tenant_id(), "tenant id");
  SK_READ_ID(snapshot, consensus::SnapshotId, m.snapshot_id(), "snapshot id");
  SK_READ_ID(timeline, consensus::TimelineId, m.timeline_id(), "timeline id");
  return BranchLogChange(SnapshotRegistered{*tenant, *snapshot, *timeline, Lsn(m.start_lsn()),
                                            Lsn(m.end_lsn()), m.location(), m.checksum(),
                                            m.size_bytes()});
}

Result<BranchLogChange> read_change(const pb::SnapshotDeleted& m) {
  SK_READ_ID(tenant, consensus::TenantId, m.tenant_id(), "tenant id");
  SK_READ_ID(snapshot, consensus::SnapshotId, m.snapshot_id(), "snapshot id");
  return BranchLogChange(SnapshotDeleted{*tenant, *snapshot});
}

#undef SK_READ_ID

}  // namespace

std::string encode_branch_log_entry(const BranchLogEntry& entry) {
  pb::BranchLogEntry out;
  out.set_format_version(kBranchLogFormatVersion);
  write_id(entry.proposal_id, out.mutable_proposal_id());
  out.set_proposed_at_us(entry.proposed_at_us);
  std::visit([&out](const auto& change) { write_change(change, out); }, entry.change);
  return out.SerializeAsString();
}

Result<BranchLogEntry> decode_branch_log_entry(std::string_view bytes) {
  if (bytes.empty() || bytes.size() > kMaxBranchLogEntryBytes) {
    return corrupt("got " + std::to_string(bytes.size()) + " bytes, expected 1 to " +
                   std::to_string(kMaxBranchLogEntryBytes));
  }
  pb::BranchLogEntry in;
  if (!parse_quietly(in, bytes)) {
    return corrupt("unparseable: expected a Protobuf sk.proto.BranchLogEntry");
  }
  if (in.format_version() != kBranchLogFormatVersion) {
    return Error(ErrorCode::kFailedPrecondition, "branch log entry format version " +
                                                     std::to_string(in.format_version()) +
                                                     " is not known to this build (it reads " +
                                                     std::to_string(kBranchLogFormatVersion) + ")");
  }
  auto proposal = id_field<consensus::ProposalId>(in.proposal_id(), "proposal id");
  if (!proposal) {
    return proposal.error();
  }
  Result<BranchLogChange> change = corrupt("no change set");
  switch (in.change_case()) {
    case pb::BranchLogEntry::kTenantCreated:
      change = read_change(in.tenant_created());
      break;
    case pb::BranchLogEntry::kBranchCreated:
      change = read_change(in.branch_created());
      break;
    case pb::BranchLogEntry::kBranchDeleted:
      change = read_change(in.branch_deleted());
      break;
    case pb::BranchLogEntry::kBranchReset:
      change = read_change(in.branch_reset());
      break;
    case pb::BranchLogEntry::kSnapshotRegistered:
      change = read_change(in.snapshot_registered());
      break;
    case pb::BranchLogEntry::kSnapshotDeleted:
      change = read_change(in.snapshot_deleted());
      break;
    case pb::BranchLogEntry::kTenantSettingsChanged:
      change = read_change(in.tenant_settings_changed());
      break;
    case pb::BranchLogEntry::kBranchSettingsChanged:
      change = read_change(in.branch_settings_changed());
      break;
    case pb::BranchLogEntry::kBranchRestored:
      change = read_change(in.branch_restored());
      break;
    case pb::BranchLogEntry::CHANGE_NOT_SET:
      break;
  }
  if (!change) {
    return change.error();
  }
  return BranchLogEntry{*proposal, in.proposed_at_us(), std::move(*change)};
}

}  // namespace sk::proto
