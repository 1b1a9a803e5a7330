// The branch API's request bodies (and list pages' query parameters), parsed and checked before
// anything is looked up: every field's type, unknown fields, names, ids and LSNs. Errors are
// kInvalidArgument naming the field, for a 400.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "consensus/result.h"
#include "consensus/types.h"
#include "safekeeper/branchlog/branch_commands.h"

namespace sk::safekeeper {

// A page of a list: at most `limit` items, those after `after` (the cursor's name).
struct PageRequest {
  std::size_t limit = 0;
  std::optional<std::string> after;
};

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
