// Reading an HTTP request's target without a server: its path segments, its query parameters and
// the ids in them. For the routes and for the request parsers (branch_requests.h).
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "consensus/result.h"
#include "consensus/types.h"

namespace sk::safekeeper {

// "/v1/tenants/x/timelines?y" -> {"v1", "tenants", "x", "timelines"}; each segment
// percent-decoded ("feature%2Fx" -> "feature/x"). Empty for a target that is not a path.
std::vector<std::string> path_segments(std::string_view target);

// The route a path took, its ids replaced by what they name, for logs and metrics that must not
// grow with the tenants: {"v1", "tenants", "ab12..", "branches", "main"} ->
// "/v1/tenants/{tenant}/branches/{branch}". A segment after tenants, timelines, branches,
// snapshots or wal is a name; the others are kept (at most 8, each cut to 32 bytes, so that a
// client cannot write long lines into the log).
std::string route_template(const std::vector<std::string>& path);

// The value of `name` in the target's query string, percent-decoded ("+" stays "+": RFC 3339
// offsets must be sent as %2B).
std::optional<std::string> query_parameter(std::string_view target, std::string_view name);

// kInvalidArgument "<what> '<text>' is not 32 hex digits".
template <class Id>
Result<Id> parse_id(std::string_view what, std::string_view text) {
  auto id = Id::parse_hex(text);
  if (!id) {
    return Error(ErrorCode::kInvalidArgument,
                 std::string(what) + " '" + std::string(text) + "' is not 32 hex digits");
  }
  return *id;
}

}  // namespace sk::safekeeper
