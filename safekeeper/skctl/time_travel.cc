// Time travel without a branch; see time_travel.h.
#include "safekeeper/skctl/time_travel.h"

#include <fstream>

#include "safekeeper/skctl/cluster_queries.h"
#include "safekeeper/skctl/command_line.h"
#include "safekeeper/skctl/data_dir.h"
#include "safekeeper/skctl/local_process.h"
#include "safekeeper/skctl/rebuild.h"

namespace sk::skctl {
namespace fs = std::filesystem;
using consensus::Lsn;

namespace {

// Where `spec` (NAME, NAME@LSN, NAME@TIMESTAMP) points in the branch's history: the LSN, the
// end of the last commit as of the timestamp, or the branch's head.
Result<Lsn> resolve_point(const ApiClient& api, const std::string& tenant, const ParentSpec& spec,
                          const BranchInfo& branch) {
  auto head = furthest_head(api, tenant, branch.timeline_id);
  if (!head) {
    return head.error();
  }
  Lsn point = head->second;
  if (spec.lsn) {
    point = *spec.lsn;
  } else if (spec.timestamp) {
    auto as_of = api.call("GET", branch_path(tenant, spec.branch) +
                                     "/lsn_by_timestamp?timestamp=" + url_encode(*spec.timestamp));
    if (!as_of) {
      return as_of.error();
    }
    const auto* lsn = as_of->body.as_object().if_contains("lsn");
    const auto parsed = lsn != nullptr && lsn->is_string()
                            ? Lsn::parse(std::string(lsn->get_string()))
                            : std::nullopt;
    if (!parsed) {
      return Error(ErrorCode::kFailedPrecondition,
                   "branch '" + spec.branch + "' has no commit at or before " + *spec.timestamp);
    }
    point = *parsed;
  }
  if (point > head->second) {
    return Error(ErrorCode::kInvalidArgument, point.to_string() + " is ahead of branch '" +
                                                  spec.branch + "', whose log ends at " +
                                                  head->second.to_string());
  }
  return point;
}

}  // namespace

Result<Endpoint> start_time_travel(const ApiClient& api, const LocalSettings& local,
                                   const fs::path& bindir, const StartRequest& request) {
  auto spec = parse_parent(request.branch);
  if (!spec) {
    return spec.error();
  }
  auto branch = get_branch(api, request.tenant_id, spec->branch);
  if (!branch) {
    return branch.error();
  }
  auto point = resolve_point(api, request.tenant_id, *spec, *branch);
  if (!point) {
    return point.error();
  }
  const DataDirInspection found = inspect_data_dir(request.pgdata, bindir);
  if (found.state == DataDirState::kForeign) {
    return Error(ErrorCode::kFailedPrecondition,
                 found.why + ": give an empty or new directory, or one skctl made");
  }
  if (found.state != DataDirState::kEmpty) {
    if (Status s = clear_data_dir(request.pgdata); !s) {
      return s.error();
    }
  }
  StartRequest restore = request;
  restore.replica = false;  // Its WAL is fetched, up to exactly the point.
  auto restored = rebuild_data_dir(api, local, bindir, restore, *branch, *point);
  if (!restored) {
    return restored.error();
  }
  std::ofstream(request.pgdata / "standby.signal").flush();
  const ServerSettings settings{true,
                                request.branch,
                                request.tenant_id,
                                branch->timeline_id,
                                request.port,
                                request.durability,
                                {},
                                {},
                                {},
                                {},
                                {}};
  if (Status s = prepare_server(local, settings, request.pgdata); !s) {
    return s.error();
  }
  const Endpoints endpoints(local.home);
  auto logs = endpoints.log_dir(request.port);
  if (!logs) {
    return logs.error();
  }
  auto postgres = start_postgres(bindir, request.pgdata, *logs / "postgres.log");
  if (!postgres) {
    return postgres.error();
  }
  note("read-only at " + point->to_string() + " of branch '" + spec->branch + "'");
  Endpoint endpoint{kTimeTravelKind,
                    request.tenant_id,
                    request.branch,
                    branch->timeline_id,
                    fs::absolute(request.pgdata),
                    request.port,
                    *postgres,
                    0};
  if (Status s = endpoints.save(endpoint); !s) {
    return s.error();
  }
  return endpoint;
}

}  // namespace sk::skctl
