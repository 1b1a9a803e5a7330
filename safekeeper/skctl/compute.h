// Computes and replicas: PostgreSQL 15 servers on a branch, started and stopped by skctl.
//
// `compute start` restores the branch's newest usable snapshot (restore_plan.h), writes the
// branch's log from the snapshot's start to the branch's head into pg_wal (the safekeepers
// compose it along the ancestry: /wal/{segment}), and starts PostgreSQL with no recovery
// signal: crash recovery replays to the branch's head and the server goes on as a primary on
// PostgreSQL timeline 1, with synchronous_standby_names = 'walproposer'. Its walproposer then
// streams the new WAL into the branch's own timeline, which begins at the branch LSN. A root
// branch with no WAL and no snapshot yet is a new database: initdb.
//
// One compute per branch on this machine: a second `compute start` is refused while the first
// runs. A compute started elsewhere on the same branch fences this one through terms (its
// walproposer is elected in a higher term; this one's exits and its commits stop).
//
// `replica start` restores the same way but writes standby.signal and a primary_conninfo that
// lists every safekeeper's replication port with the branch's tenant and timeline: the replica
// streams the branch's committed WAL from whichever safekeeper answers.
#pragma once

#include <filesystem>
#include <string>

#include "consensus/result.h"
#include "safekeeper/skctl/api_client.h"
#include "safekeeper/skctl/endpoints.h"

namespace sk::skctl {

struct LocalSettings {
  std::filesystem::path home;  // Snapshots and endpoint state.
  std::string pg_bindir;       // Flags; empty: found (local_process.h).
  std::string walproposer;
};

struct StartRequest {
  std::string tenant_id;
  std::string branch;
  std::filesystem::path pgdata;
  int port = 0;
  bool replica = false;
};

// The endpoint as saved, running and (a compute) with its walproposer streaming.
Result<Endpoint> start_endpoint(const ApiClient& api, const LocalSettings& local,
                                const StartRequest& request);
// Stops PostgreSQL (fast shutdown) and then the walproposer, and forgets the endpoint.
Status stop_endpoint(const LocalSettings& local, const Endpoint& endpoint);

// A base backup of the branch's running compute (or of the server at host:port) into the
// snapshot store, registered in the branch log. Returns the registered snapshot's JSON.
Result<ApiReply> create_snapshot(const ApiClient& api, const LocalSettings& local,
                                 const std::string& tenant_id, const std::string& branch,
                                 const std::string& host, int port);

}  // namespace sk::skctl
