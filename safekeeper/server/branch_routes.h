// BranchRoutes: the HTTP API of the branch log (ApiRoutes hands it every path it does not know).
//
//   POST   /v1/tenants                            create {tenant_id?, name?} -> 201
//   GET    /v1/tenants                            list
//   GET    /v1/tenants/{t}                        one, with its branch count
//   POST   /v1/tenants/{t}/branches               create {name, parent?, lsn? | timestamp?,
//                                                 timeline_id?} -> 201 with the resolved LSN
//   GET    /v1/tenants/{t}/branches?limit=&cursor=  list, by name
//   GET    /v1/tenants/{t}/branches/{b}           one (b: a name or a timeline id)
//   DELETE /v1/tenants/{t}/branches/{b}           -> 200 with what was deleted; 412 with children
//   POST   /v1/tenants/{t}/branches/{b}/reset     same name, new timeline at the parent's head
//   GET    /v1/tenants/{t}/branches/{b}/lsn_by_timestamp?timestamp=RFC3339
//                                                 {kind: past|present|future|nodata, lsn}
//   POST   /v1/tenants/{t}/snapshots              register {branch, start_lsn, end_lsn, ...}
//   GET    /v1/tenants/{t}/snapshots              list
//   DELETE /v1/tenants/{t}/snapshots/{id}         -> 200 with what was deleted; 412 while a
//                                                 start of a branch would restore from it
//
// Reads answer from this node's view (branch_log_applier.h). A change is checked against the
// view, proposed through this node's BranchLogWriter, and answered from the outcome of applying
// it here once committed: a conflict committed first by another node turns into its 404/409/412.
// docs/HTTP_API.md has the bodies and every error.
#pragma once

#include <string>
#include <vector>

#include "safekeeper/branchlog/branch_log_applier.h"
#include "safekeeper/branchlog/branch_log_writer.h"
#include "safekeeper/branchlog/commit_time_indexer.h"
#include "safekeeper/node/node.h"
#include "safekeeper/server/api_routes.h"
#include "safekeeper/server/storage_worker.h"

namespace sk::safekeeper {

class BranchRoutes {
 public:
  // `node`, `applier` and `commit_times` are touched on the worker thread only; `writer` (nullptr:
  // this node runs without a branch log) on the I/O thread only.
  BranchRoutes(Node& node, StorageWorker& worker, BranchLogApplier& applier,
               const CommitTimeIndexer& commit_times, BranchLogWriter* writer,
               ApiRoutes::RunOnIo run_on_io);

  // True if `path` names one of these routes; `respond` is then called exactly once, on the
  // I/O thread. Called on the I/O thread.
  bool handle(const ApiRequest& request, const std::vector<std::string>& path,
              ApiRoutes::Respond& respond);

  struct Impl;  // Defined in the .cc; public only so that its helpers can name it.

 private:
  std::shared_ptr<Impl> impl_;
};

}  // namespace sk::safekeeper
