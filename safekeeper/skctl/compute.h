// Computes and replicas: PostgreSQL 15 servers on a branch, started and stopped by skctl. A
// compute is disposable, as in Neon: the quorum of safekeepers is the only durable copy of its
// database, its local data directory a cache.
//
// `compute start`, in this order, every time:
//  1. Syncs the branch's timeline on the safekeepers (quorum_sync.h) and takes the LSN it prints
//     as the branch's end. A branch without WAL of its own yet ends at its branch point.
//  2. Reuses the data directory only if skctl stopped it cleanly and its WAL ends exactly there
//     (data_dir.h); otherwise rebuilds it: clones the newest snapshot on the branch's ancestry
//     that ends at or before that LSN (snapshot_store.h; O(1) in the database's size on a store
//     that clones), and writes the composed WAL from the snapshot's start up to exactly the end
//     into pg_wal.
//  3. Starts PostgreSQL with no recovery signal: crash recovery replays to the end, and the
//     server goes on as a primary on PostgreSQL timeline 1, with synchronous_standby_names =
//     'walproposer' and, by default, fsync = off and full_page_writes = off (local_postgres.h).
//  4. Starts its walproposer, which is elected and continues the timeline at exactly that end.
// A root branch with no WAL yet is a new database: initdb, and a first snapshot is taken once
// the walproposer streams, so that the compute can be replaced from then on.
//
// One compute per branch on this machine: a second `compute start` is refused while the first
// runs; on a compute whose walproposer died (PostgreSQL still up) it starts the walproposer again.
// A compute started elsewhere on the same branch fences this one through terms: the sync elects a
// higher term, this compute's walproposer exits 3, and its clients' commits wait for ever (they
// are never acknowledged, and never become part of the branch).
//
// `compute start --read-only --branch NAME@POINT` (Neon's Time Travel Assist): a hot standby
// restored from the newest usable snapshot plus the branch's composed WAL up to exactly the
// point (an LSN, or the end of the last commit as of a timestamp, as a branch as of it would
// be), with no source to stream from: it replays to the point and stays there, read-only. No
// branch is created; `compute stop --branch NAME@POINT` stops it and removes its directory.
//
// `replica start` restores the same way (no sync: a replica writes nothing) but writes
// standby.signal and a primary_conninfo that lists every safekeeper's replication port with the
// branch's tenant and timeline: the replica streams the branch's committed WAL from whichever
// safekeeper answers.
#pragma once

#include <filesystem>
#include <string>

#include "consensus/result.h"
#include "safekeeper/skctl/api_client.h"
#include "safekeeper/skctl/endpoints.h"
#include "safekeeper/skctl/local_postgres.h"

namespace sk::skctl {

struct LocalSettings {
  std::filesystem::path home;            // Endpoint state and logs.
  std::filesystem::path snapshot_store;  // Where snapshots are kept (snapshot_store.h).
  std::string pg_bindir;                 // Flags; empty: found (local_process.h).
  std::string walproposer;
};

struct StartRequest {
  std::string tenant_id;
  // A branch's name; with `read_only`, also NAME@LSN or NAME@TIMESTAMP (RFC 3339).
  std::string branch;
  std::filesystem::path pgdata;
  int port = 0;
  bool replica = false;
  Durability durability = Durability::kQuorum;
  // Time travel: a read-only server at a point of the branch's history (its head when no
  // point is given), paused there; no branch is created, nothing streams into it.
  bool read_only = false;
  // A compute's automatic snapshots (snapshot_agent.h): one every so many bytes of WAL; 0: none.
  std::uint64_t snapshot_every_bytes = std::uint64_t{1} << 30;
};

// The endpoint as saved, running and (a compute) with its walproposer streaming. Notes for the
// user (a rebuilt directory, a store that copies rather than clones) go to stderr.
Result<Endpoint> start_endpoint(const ApiClient& api, const LocalSettings& local,
                                const StartRequest& request);
// What a server needs on disk before it starts, for every kind: its socket directory, its
// settings and pg_hba.conf (local_postgres.h), the data directory handed to the postgres user,
// and the tenant's password published in HOME/pgpass for its port (compute_passwords.h).
// kNotFound if this home has no password for the tenant.
Status prepare_server(const LocalSettings& local, ServerSettings settings,
                      const std::filesystem::path& pgdata);

// Stops the snapshot agent, PostgreSQL (fast shutdown) and then the walproposer, marks the data
// directory clean if PostgreSQL shut down cleanly (data_dir.h), and forgets the endpoint.
Status stop_endpoint(const LocalSettings& local, const Endpoint& endpoint);

// A base backup of the branch's running compute (or of the server at host:port) into the
// snapshot store, registered in the branch log. Returns the registered snapshot's JSON.
Result<ApiReply> create_snapshot(const ApiClient& api, const LocalSettings& local,
                                 const std::string& tenant_id, const std::string& branch,
                                 const std::string& host, int port);

}  // namespace sk::skctl
