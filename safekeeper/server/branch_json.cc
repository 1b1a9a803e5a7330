// Branch API response bodies; see branch_json.h.
#include "safekeeper/server/branch_json.h"

#include <boost/json.hpp>

#include "branchmgr/duration.h"
#include "branchmgr/rfc3339.h"

namespace sk::safekeeper {

namespace json = boost::json;
using branchmgr::Branch;

json::value lsn_json(std::optional<consensus::Lsn> lsn) {
  return lsn ? json::value(lsn->to_string()) : json::value(nullptr);
}

json::object tenant_json(const branchmgr::BranchView& view, const branchmgr::Tenant& tenant) {
  return {{"tenant_id", tenant.id.to_hex()},
          {"name", tenant.name},
          {"created_at", branchmgr::format_rfc3339(tenant.created_at_us)},
          {"history_retention", branchmgr::format_duration(tenant.history_retention_s)},
          {"history_retention_seconds", tenant.history_retention_s},
          {"branches", view.branches(tenant.id).size()}};
}

json::object branch_json(const BranchCommands& commands, const Branch& branch) {
  json::value parent = nullptr;
  json::value parent_timeline = nullptr;
  if (branch.parent_timeline_id) {
    parent_timeline = branch.parent_timeline_id->to_hex();
    if (const Branch* p =
            commands.view().branch_with_timeline(branch.tenant_id, *branch.parent_timeline_id)) {
      parent = p->name;
    }
  }
  return {{"tenant_id", branch.tenant_id.to_hex()},
          {"name", branch.name},
          {"timeline_id", branch.timeline_id.to_hex()},
          {"parent", parent},
          {"parent_timeline_id", parent_timeline},
          {"lsn",
           lsn_json(branch.parent_timeline_id ? std::optional(branch.branch_lsn) : std::nullopt)},
          {"head_lsn", lsn_json(commands.head_of(branch))},
          {"protected", branch.is_protected},
          {"expires_at", branch.expires_at_us != 0
                             ? json::value(branchmgr::format_rfc3339(branch.expires_at_us))
                             : json::value(nullptr)},
          {"created_at", branchmgr::format_rfc3339(branch.created_at_us)},
          {"updated_at", branchmgr::format_rfc3339(branch.updated_at_us)}};
}

json::object snapshot_json(const branchmgr::BranchView& view, const branchmgr::Snapshot& s) {
  const Branch* branch = view.branch_with_timeline(s.tenant_id, s.timeline_id);
  return {{"snapshot_id", s.id.to_hex()},
          {"tenant_id", s.tenant_id.to_hex()},
          {"branch", branch != nullptr ? json::value(branch->name) : json::value(nullptr)},
          {"timeline_id", s.timeline_id.to_hex()},
          {"start_lsn", s.start_lsn.to_string()},
          {"end_lsn", s.end_lsn.to_string()},
          {"location", s.location},
          {"checksum", s.checksum},
          {"size_bytes", s.size_bytes},
          {"created_at", branchmgr::format_rfc3339(s.created_at_us)}};
}

json::object object_json(const BranchCommands& commands, const branchmgr::Object& object) {
  if (const auto* tenant = std::get_if<branchmgr::Tenant>(&object)) {
    return tenant_json(commands.view(), *tenant);
  }
  if (const auto* branch = std::get_if<Branch>(&object)) {
    return branch_json(commands, *branch);
  }
  if (const auto* snapshot = std::get_if<branchmgr::Snapshot>(&object)) {
    return snapshot_json(commands.view(), *snapshot);
  }
  return {};
}

}  // namespace sk::safekeeper
