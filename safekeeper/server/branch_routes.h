// BranchRoutes: the HTTP API of the branch log (ApiRoutes hands it every path it does not know).
//
//   POST   /v1/tenants                            create {tenant_id?, name?,
//                                                 history_retention?} -> 201
//   GET    /v1/tenants                            list
//   GET    /v1/tenants/{t}                        one, with its branch count
//   PATCH  /v1/tenants/{t}                        change {history_retention?} -> 200
//   POST   /v1/tenants/{t}/branches               create {name, parent?, lsn? | timestamp?,
//                                                 timeline_id?} -> 201 with the resolved LSN
//   GET    /v1/tenants/{t}/branches?limit=&cursor=  list, by name
//   GET    /v1/tenants/{t}/branches/{b}           one (b: a name or a timeline id)
//   PATCH  /v1/tenants/{t}/branches/{b}           {protected?, expires_at? | ttl?} -> 200
//   DELETE /v1/tenants/{t}/branches/{b}           -> 200 with what was deleted; 412 with children
//                                                 or while protected
//   POST   /v1/tenants/{t}/branches/{b}/reset     same name, new timeline at the parent's head
//   GET    /v1/tenants/{t}/branches/{b}/lsn_by_timestamp?timestamp=RFC3339
//                                                 {kind: past|present|future|nodata, lsn}
//   POST   /v1/tenants/{t}/snapshots              register {branch, start_lsn, end_lsn, ...}
//   GET    /v1/tenants/{t}/snapshots              list
//   DELETE /v1/tenants/{t}/snapshots/{id}         -> 200 with what was deleted; 412 while a
//                                                 start of a branch would restore from it
//
// Routes only parse, call and render: what a change becomes is BranchCommands' (branchlog/),
// how it is proposed and answered BranchCommandRunner's, the rules BranchView's.
// docs/HTTP_API.md has the bodies and every error.
#pragma once

#include <string>
#include <vector>

#include <boost/json/object.hpp>

#include "safekeeper/branchlog/branch_command_runner.h"
#include "safekeeper/server/api_routes.h"

namespace sk::safekeeper {

class BranchRoutes {
 public:
  BranchRoutes(BranchCommandRunner& runner, ApiRoutes::RunOnIo run_on_io);

  // True if `path` (decoded segments) names one of these routes; `respond` is then called
  // exactly once, on the I/O thread. Called on the I/O thread.
  bool handle(const ApiRequest& request, const std::vector<std::string>& path,
              ApiRoutes::Respond& respond);

 private:
  using Respond = ApiRoutes::Respond;
  // The body a read renders from the commands, on the worker thread.
  using Render = std::function<Result<boost::json::object>(const BranchCommands&)>;

  void read(const ApiRequest& request, const Respond& respond, Render render);
  void change(const ApiRequest& request, const Respond& respond, int success_status,
              BranchCommandRunner::Decide decide);
  // From the worker thread: hands `response` to `respond` on the I/O thread.
  void answer(const Respond& respond, ApiResponse response) const;

  bool tenants(const ApiRequest& request, Respond& respond);
  bool branches(const ApiRequest& request, const consensus::TenantId& tenant,
                const std::vector<std::string>& path, Respond& respond);
  bool snapshots(const ApiRequest& request, const consensus::TenantId& tenant,
                 const std::vector<std::string>& path, Respond& respond);
  void list_branches(const ApiRequest& request, const consensus::TenantId& tenant,
                     const Respond& respond);
  void lsn_by_timestamp(const ApiRequest& request, const consensus::TenantId& tenant,
                        const std::string& name_or_id, const Respond& respond);

  BranchCommandRunner& runner_;
  ApiRoutes::RunOnIo run_on_io_;
};

}  // namespace sk::safekeeper
