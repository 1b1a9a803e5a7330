// What the branch API's requests ask of the branch log, as plain values: parsed from request
// bodies (server/branch_requests.h) and carried out by BranchCommands (branch_commands.h).
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "consensus/types.h"

namespace sk::safekeeper {

struct CreateTenantRequest {
  std::optional<consensus::TenantId> tenant_id;  // nullopt: the server picks one.
  std::string name;
  std::optional<std::uint64_t> history_retention_s;  // nullopt: the default (7 days).
};

// PATCH of a tenant: each setting given changes, the others stay.
struct TenantSettingsRequest {
  std::optional<std::uint64_t> history_retention_s;
};

// A branch's lifecycle settings as a request gives them; each absent one is left as it is (on
// create: unprotected, never expires).
struct BranchLifecycle {
  std::optional<bool> is_protected;
  std::optional<std::int64_t> expires_at_us;  // 0: never.
  std::optional<std::uint64_t> ttl_s;         // Expires this long after the request.
};

struct CreateBranchRequest {
  std::string name;
  std::optional<std::string> parent;  // A branch name or timeline id; nullopt: a root branch.
  std::optional<consensus::Lsn> lsn;
  std::optional<std::int64_t> timestamp_us;  // Unix microseconds, from RFC 3339.
  std::optional<consensus::TimelineId> timeline_id;
  // The request's fields in one canonical string: what an Idempotency-Key is checked against.
  std::string fingerprint;
  std::string idempotency_key;  // Empty: none.
  BranchLifecycle lifecycle;
};

// Restore in place (POST .../branches/{b}/restore).
struct RestoreBranchRequest {
  std::optional<std::string> source;  // A branch name or timeline id; nullopt: the branch itself.
  std::optional<consensus::Lsn> lsn;  // Neither this nor timestamp_us: the source's head.
  std::optional<std::int64_t> timestamp_us;
  std::string preserve_under_name;  // Empty: the old state is not kept.
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

}  // namespace sk::safekeeper
