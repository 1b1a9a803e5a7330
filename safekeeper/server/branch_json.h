// The branch API's response bodies: tenants, branches and snapshots as docs/HTTP_API.md shows
// them. Rendered on the worker thread, from the view and this node's timelines (a branch's head).
#pragma once

#include <boost/json/object.hpp>

#include "branchmgr/branch_view.h"
#include "safekeeper/branchlog/branch_commands.h"

namespace sk::safekeeper {

boost::json::object tenant_json(const branchmgr::BranchView& view, const branchmgr::Tenant& tenant);
boost::json::object branch_json(const BranchCommands& commands, const branchmgr::Branch& branch);
boost::json::object snapshot_json(const branchmgr::BranchView& view,
                                  const branchmgr::Snapshot& snapshot);
// Whichever of the three `object` holds.
boost::json::object object_json(const BranchCommands& commands, const branchmgr::Object& object);
// A branch's LSN in the API: "0/16B3748", or null.
boost::json::value lsn_json(std::optional<consensus::Lsn> lsn);

}  // namespace sk::safekeeper
