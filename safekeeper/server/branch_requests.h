// The HTTP API's request bodies (the branch API's and the timeline creation's) and list pages'
// query parameters, parsed and checked before anything is looked up: every field's type,
// unknown fields, names, ids and LSNs. Errors are kInvalidArgument naming the field, for a 400.
// No server here: tests/fuzz feeds them whatever bytes it likes.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "consensus/result.h"
#include "consensus/types.h"
#include "safekeeper/branchlog/branch_request_types.h"

namespace sk::safekeeper {

// A page of a list: at most `limit` items, those after `after` (the cursor's name).
struct PageRequest {
  std::size_t limit = 0;
  std::optional<std::string> after;
};

// POST /v1/tenants/{tenant}/timelines: the identity asked for. Fields: timeline_id (required),
// start_lsn (required, "X/X"), system_id (decimal string or number, default 0 = learnt from
// nobody: any system id is then accepted), pg_version (default 150000), wal_seg_size (default
// 16 MiB).
Result<consensus::TimelineIdentity> parse_create_timeline(std::string_view tenant,
                                                          std::string_view body);
Result<CreateTenantRequest> parse_create_tenant(std::string_view body);
Result<TenantSettingsRequest> parse_tenant_settings(std::string_view body);
// PATCH of a branch: {"protected"?, "expires_at"? (RFC 3339, or null: never), "ttl"?}.
Result<BranchLifecycle> parse_branch_settings(std::string_view body);
Result<CreateBranchRequest> parse_create_branch(std::string_view body);
Result<RestoreBranchRequest> parse_restore_branch(std::string_view body);
Result<RegisterSnapshotRequest> parse_register_snapshot(std::string_view body);
// The query parameters limit (1 to 1000, default 100) and cursor (one page_cursor() gave).
Result<PageRequest> parse_page(std::string_view target);
// The cursor of a page that ends with `name`: its hex (names may hold '/').
std::string page_cursor(std::string_view name);

// Branch names: 1 to 128 of [A-Za-z0-9._/-], starting with a letter or digit, and not 32 hex
// digits (that would read as a timeline id).
Status check_branch_name(std::string_view name);

}  // namespace sk::safekeeper
