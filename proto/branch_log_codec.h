// The branch log's entries as C++ values, and their encoding (branch_log.proto). Like codec.h,
// this is the only door to the generated types, and it pulls in no Protobuf header. Decoding
// checks everything a damaged disk could get wrong and never throws.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>

#include "consensus/result.h"
#include "consensus/types.h"

namespace sk::proto {

// The BranchLogEntry.format_version this codec writes and the only one it reads.
inline constexpr std::uint32_t kBranchLogFormatVersion = 1;
// Largest encoded entry accepted: every field is small (names, ids, a path, a checksum).
inline constexpr std::size_t kMaxBranchLogEntryBytes = 64 * 1024;

struct TenantCreated {
  consensus::TenantId tenant_id;
  std::string name;
  std::uint64_t history_retention_s = 0;  // 0: the default (branchmgr's kDefaultHistoryRetention).
  friend bool operator==(const TenantCreated&, const TenantCreated&) = default;
};

// A setting left 0 keeps its value.
struct TenantSettingsChanged {
  consensus::TenantId tenant_id;
  std::uint64_t history_retention_s = 0;
  friend bool operator==(const TenantSettingsChanged&, const TenantSettingsChanged&) = default;
};

struct BranchCreated {
  consensus::TenantId tenant_id;
  std::string name;
  consensus::TimelineId timeline_id;
  std::optional<consensus::TimelineId> parent_timeline_id;  // nullopt: a root branch.
  consensus::Lsn branch_lsn;
  bool timeline_id_chosen = false;
  bool lsn_chosen = false;
  std::string idempotency_key;
  std::string request_fingerprint;
  bool is_protected = false;
  std::int64_t expires_at_us = 0;  // 0: never.
  friend bool operator==(const BranchCreated&, const BranchCreated&) = default;
};

// A setting not given keeps its value.
struct BranchSettingsChanged {
  consensus::TenantId tenant_id;
  consensus::TimelineId timeline_id;
  std::optional<bool> is_protected;
  std::optional<std::int64_t> expires_at_us;  // 0: never.
  friend bool operator==(const BranchSettingsChanged&, const BranchSettingsChanged&) = default;
};

struct BranchDeleted {
  consensus::TenantId tenant_id;
  consensus::TimelineId timeline_id;
  friend bool operator==(const BranchDeleted&, const BranchDeleted&) = default;
};

struct BranchReset {
  consensus::TenantId tenant_id;
  consensus::TimelineId timeline_id;
  consensus::TimelineId new_timeline_id;
  consensus::Lsn branch_lsn;
  friend bool operator==(const BranchReset&, const BranchReset&) = default;
};

struct BranchRestored {
  consensus::TenantId tenant_id;
  consensus::TimelineId timeline_id;
  consensus::TimelineId new_timeline_id;
  consensus::TimelineId source_timeline_id;
  consensus::Lsn branch_lsn;
  std::string preserve_under_name;  // Empty: the old timeline is not kept.
  friend bool operator==(const BranchRestored&, const BranchRestored&) = default;
};

struct SnapshotRegistered {
  consensus::TenantId tenant_id;
  consensus::SnapshotId snapshot_id;
  consensus::TimelineId timeline_id;
  consensus::Lsn start_lsn;
  consensus::Lsn end_lsn;
  std::string location;
  std::string checksum;
  std::uint64_t size_bytes = 0;
  friend bool operator==(const SnapshotRegistered&, const SnapshotRegistered&) = default;
};

struct SnapshotDeleted {
  consensus::TenantId tenant_id;
  consensus::SnapshotId snapshot_id;
  friend bool operator==(const SnapshotDeleted&, const SnapshotDeleted&) = default;
};

using BranchLogChange =
    std::variant<TenantCreated, BranchCreated, BranchDeleted, BranchReset, SnapshotRegistered,
                 SnapshotDeleted, TenantSettingsChanged, BranchSettingsChanged, BranchRestored>;

struct BranchLogEntry {
  consensus::ProposalId proposal_id;
  std::int64_t proposed_at_us = 0;  // Microseconds since the Unix epoch.
  BranchLogChange change;
  friend bool operator==(const BranchLogEntry&, const BranchLogEntry&) = default;
};

// Written as given: the proposing node validated the request, and applying checks it again.
std::string encode_branch_log_entry(const BranchLogEntry& entry);

// kCorruption for bytes that are not a version-1 entry with every id 16 bytes long and one
// change set; kFailedPrecondition for a newer format_version.
[[nodiscard]] Result<BranchLogEntry> decode_branch_log_entry(std::string_view bytes);

}  // namespace sk::proto
