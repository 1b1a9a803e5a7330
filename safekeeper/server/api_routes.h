// ApiRoutes: the HTTP API's routes, as plain requests in and responses out, so that http_api.cc
// is only Beast plumbing. Timelines are read and created on the storage worker's thread (the
// only one that may touch them); the answer is finished on the I/O thread, where the proposer
// connections are known, and handed to `respond` there. WAL bytes (/wal/{segment}, /digest) are
// never read on the worker: it only describes what is committed (ComposedWal), and the
// WalReadPool reads it.
//
//   GET  /healthz                                live: the I/O thread answers (no token needed)
//   GET  /readyz                                 ready: no broken timeline, the disk above its
//                                                reserve, the branch log applying, the data
//                                                directory confirmed by peers (200, or 503
//                                                naming the failed checks; no token needed)
//   GET  /v1/status                              the node: id, version, timelines, connections
//   GET  /v1/tenants/{tenant}/timelines          every hosted timeline
//   POST /v1/tenants/{tenant}/timelines          create one (idempotent on equal parameters)
//   GET  /v1/tenants/{tenant}/timelines/{tl}     term, history, flush/commit/start LSN, proposer
//   GET  /v1/tenants/{tenant}/timelines/{tl}/digest?from_lsn=X/X&until_lsn=X/X
//                                                the WalDigest of that durable WAL range
//   DELETE /v1/tenants/{tenant}/timelines/{tl}   this node's copy; 412 for a branch's timeline
//   GET  /v1/tenants/{tenant}/timelines/{tl}/slots   the replication slots on this node
//   GET  /v1/tenants/{tenant}/timelines/{tl}/wal/{segment}
//                                                a PostgreSQL segment file, composed along the
//                                                branch's ancestry, committed WAL then zeros
//   GET  /metrics                                Prometheus text format
//   /v1/tenants/... (other than timelines)      the branch log's routes: branch_routes.h
// Errors: {"error": {"code", "message", "request_id"}} with the code's status (error_code.h).
// Every request is checked against the Authenticator first, by route_access.h's rule: 401
// (with WWW-Authenticate: Bearer) without a valid token, 403 when its scope does not reach.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "safekeeper/auth/authenticator.h"
#include "safekeeper/branchlog/branch_commands.h"
#include "safekeeper/branchlog/commit_time_indexer.h"
#include "safekeeper/branchlog/composed_wal.h"
#include "safekeeper/node/node.h"
#include "safekeeper/server/connection_limits.h"
#include "safekeeper/server/pg_server.h"
#include "safekeeper/server/proposer_server.h"
#include "safekeeper/server/storage_worker.h"
#include "safekeeper/server/wal_read_pool.h"

namespace sk::safekeeper {

class BranchRoutes;
class BranchLogApplier;
class BranchLogWriter;

struct ApiRequest {
  std::string method;  // "GET", "POST", ...
  std::string target;  // Path and query, as received.
  std::string body;
  std::string request_id;       // X-Request-ID, or one we made up.
  std::string idempotency_key;  // The Idempotency-Key header; empty without one.
  std::string authorization;    // The Authorization header; empty without one.
};

struct ApiResponse {
  int status = 200;
  std::string content_type = "application/json";
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;  // Extra ones (Allow, ...).
};

class ApiRoutes {
 public:
  using Respond = std::function<void(ApiResponse)>;
  // Runs a function on the I/O thread (asio::post in http_api.cc).
  using RunOnIo = std::function<void(std::function<void()>)>;

  // What /v1/status reports of the cluster, so that tools find it from one HTTP address: the
  // addresses the ports listen on ("proposer", "pg", "http" -> host:port), the same at the
  // host others reach this node at (config.h's advertised_host), and the members by
  // id and proposer address (--peers; empty without a branch log).
  struct Cluster {
    std::map<std::string, std::string> listening;
    std::map<std::string, std::string> advertised;  // The same ports at the advertised host.
    std::vector<std::pair<std::uint64_t, std::string>> peers;
  };
  // The branch log: its routes (every path under /v1/tenants but the timelines'), its applier
  // (worker thread only) and its writer (I/O thread only; nullptr without --peers).
  struct BranchLog {
    BranchRoutes& routes;
    const BranchLogApplier& applier;
    const BranchLogWriter* writer;
    const BranchCommands& commands;         // Worker thread only.
    const CommitTimeIndexer& commit_times;  // Worker thread only.
    // Whether peers have confirmed this node's data directory (any thread); nullptr without
    // --peers, like the writer.
    const IdentityCheck* identity;
  };

  // `node` is only touched on the worker's thread; `proposers` only on the I/O thread.
  // `wal` composes branches' logs for /wal/{segment}; worker thread only, like `node`. `reads`
  // reads WAL bytes off the worker. `auth` checks each request's token.
  ApiRoutes(Node& node, StorageWorker& worker, const ProposerServer& proposers,
            const PgServer& readers, const ComposedWal& wal, WalReadPool& reads,
            const auth::Authenticator& auth, RunOnIo run_on_io, std::string version,
            Cluster cluster, BranchLog branch_log);

  // Called on the I/O thread; `respond` is called there exactly once.
  void handle(ApiRequest request, Respond respond);
  // The HTTP port's connection counts, for /metrics (its HttpApi is made after its routes).
  void report_http_connections(const ListenerStats& stats) { http_stats_ = &stats; }

 private:
  // The grant of the request's bearer token if it gives `need`.
  Result<auth::Grant> authenticate(const ApiRequest& request, const auth::Need& need) const;
  // `grant` limits what is shown: a tenant token sees only its tenant's timelines.
  void get_status(const ApiRequest& request, const auth::Grant& grant, Respond respond);
  // A broken timeline makes the node unready on purpose: a rolling restart waits for readiness
  // before it takes the next node down, and this node cannot stand in for that timeline.
  void get_readiness(Respond respond);
  void list_timelines(const ApiRequest& request, const std::string& tenant, Respond respond);
  void create_timeline(const ApiRequest& request, const std::string& tenant, Respond respond);
  void get_timeline(const ApiRequest& request, const std::string& tenant,
                    const std::string& timeline, Respond respond);
  void get_digest(const ApiRequest& request, const std::string& tenant, const std::string& timeline,
                  Respond respond);
  // PUT .../configuration: an operator's membership change on this node's acceptor (the
  // Acceptor's rules: generations only grow); answers the timeline as GET does.
  void set_configuration(const ApiRequest& request, const std::string& tenant,
                         const std::string& timeline, Respond respond);
  void get_wal_segment(const ApiRequest& request, const std::string& tenant,
                       const std::string& timeline, const std::string& file_name, Respond respond);
  void get_metrics(Respond respond);
  void delete_timeline(const ApiRequest& request, const std::string& tenant,
                       const std::string& timeline, Respond respond);
  void list_slots(const ApiRequest& request, const std::string& tenant, const std::string& timeline,
                  const Respond& respond);
  // From the worker thread: hands `response` to `respond` on the I/O thread.
  void respond_on_io(Respond respond, ApiResponse response);
  // From the worker thread: runs `read` on the WalReadPool, which answers through a copy of
  // `respond`; if the pool refuses (full, stopping), answers with that error instead.
  void read_off_worker(const Respond& respond, const std::string& request_id,
                       std::function<void()> read);

  Node& node_;
  StorageWorker& worker_;
  const ProposerServer& proposers_;
  const PgServer& readers_;  // I/O thread only.
  const ComposedWal& wal_;
  WalReadPool& reads_;
  const auth::Authenticator& auth_;
  Cluster cluster_;
  RunOnIo run_on_io_;
  std::string version_;
  BranchLog branch_log_;
  const ListenerStats* http_stats_ = nullptr;
};

}  // namespace sk::safekeeper
