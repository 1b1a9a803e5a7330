// The branch API's request bodies, parsed and checked before anything is looked up: every
// field's type, unknown fields, names, ids and LSNs. Errors are kInvalidArgument naming the
// field, for a 400.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "consensus/result.h"
#include "consensus/types.h"

namespace sk::safekeeper {

struct CreateTenantRequest {
  std::optional<consensus::TenantId> tenant_id;  // nullopt: the server picks one.
  std::string name;
};

struct CreateBranchRequest {
  std::string name;
  std::optional<std::string> parent;  // A branch name or timeline id; nullopt: a root branch.
  std::optional<consensus::Lsn> lsn;
  std::optional<std::int64_t> timestamp_us;  // Unix microseconds, from RFC 3339.
  std::optional<consensus::TimelineId> timeline_id;
  // The request's fields in one canonical string: what an Idempotency-Key is checked against.
  std::string fingerprint;
};

struct RegisterSnapshotRequest {
  std::string branch;  // A branch name or timeline id.
  std::optional<consensus::SnapshotId> snapshot_id;
  consensus::Lsn start_lsn;
  consensus::Lsn end_lsn;
  std::string location;
  std::string checksum;
  std::uint64_t size_bytes = 0;
};

Result<CreateTenantRequest> parse_create_tenant(std::string_view body);
Result<CreateBranchRequest> parse_create_branch(std::string_view body);
Result<RegisterSnapshotRequest> parse_register_snapshot(std::string_view body);

// Branch names: 1 to 128 of [A-Za-z0-9._/-], starting with a letter or digit, and not 32 hex
// digits (that would read as a timeline id).
Status check_branch_name(std::string_view name);

}  // namespace sk::safekeeper
