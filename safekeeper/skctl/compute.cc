// Computes, replicas and snapshots on this machine; see compute.h.
#include "safekeeper/skctl/compute.h"

#include <cstdio>
#include <fstream>

#include <boost/json/value.hpp>
#include <signal.h>

#include "safekeeper/auth/token.h"
#include "safekeeper/skctl/cluster_queries.h"
#include "safekeeper/skctl/command_line.h"
#include "safekeeper/skctl/compute_passwords.h"
#include "safekeeper/skctl/data_dir.h"
#include "safekeeper/skctl/local_process.h"
#include "safekeeper/skctl/quorum_sync.h"
#include "safekeeper/skctl/rebuild.h"
#include "safekeeper/skctl/restore_plan.h"
#include "safekeeper/skctl/secret_file.h"
#include "safekeeper/skctl/snapshot_store.h"
#include "safekeeper/skctl/time_travel.h"

namespace sk::skctl {
namespace fs = std::filesystem;
namespace json = boost::json;
using consensus::Lsn;

namespace {

constexpr auto kSyncTimeout = std::chrono::seconds(60);

// How long each step of a start took, for the line skctl prints at the end: where a start's
// time goes (the sync, the restore, PostgreSQL's recovery, the walproposer's election).
class Phases {
 public:
  void mark(const std::string& name) {
    const auto now = std::chrono::steady_clock::now();
    text_ += (text_.empty() ? "" : ", ") + name + " " + std::to_string(ms(last_, now));
    last_ = now;
  }
  std::string summary() const {
    return "started in " + std::to_string(ms(start_, last_)) + " ms (" + text_ + ")";
  }

 private:
  static long ms(std::chrono::steady_clock::time_point a, std::chrono::steady_clock::time_point b) {
    return static_cast<long>(std::chrono::duration_cast<std::chrono::milliseconds>(b - a).count());
  }
  std::chrono::steady_clock::time_point start_ = std::chrono::steady_clock::now();
  std::chrono::steady_clock::time_point last_ = start_;
  std::string text_;
};

// Where the branch's log ends before the new compute writes: the quorum's end after a sync, or
// the branch point of a branch without WAL of its own. nullopt: a root branch with no WAL yet.
Result<std::optional<Lsn>> branch_end(const ApiClient& api, const fs::path& walproposer,
                                      const Cluster& cluster, const std::string& tenant,
                                      const BranchInfo& branch, const fs::path& log) {
  auto exists = timeline_exists(api, tenant, branch.timeline_id);
  if (!exists) {
    return exists.error();
  }
  if (*exists) {
    auto end =
        sync_safekeepers(walproposer, cluster, tenant, branch.timeline_id, log, kSyncTimeout);
    if (!end) {
      return end.error();
    }
    return std::optional<Lsn>(*end);
  }
  return branch.parent_timeline_id.empty() ? std::nullopt : branch.branch_lsn;
}

std::vector<std::string> walproposer_argv(const fs::path& walproposer, const Cluster& cluster,
                                          const std::string& tenant, const BranchInfo& branch,
                                          int port, const fs::path& passfile) {
  std::vector<std::string> argv{walproposer.string(),
                                "--pgconn",
                                local_conninfo(port) + " passfile=" + passfile.string(),
                                "--safekeepers",
                                cluster.safekeepers_flag,
                                "--http",
                                cluster.http_flag(),
                                "--tenant",
                                tenant,
                                "--timeline",
                                branch.timeline_id};
  if (branch.branch_lsn) {
    argv.insert(argv.end(), {"--start-lsn", branch.branch_lsn->to_string()});
  }
  if (!cluster.token_file.empty()) {
    argv.insert(argv.end(), {"--token-file", cluster.token_file});
  }
  if (!cluster.tls_ca.empty()) {
    argv.insert(argv.end(), {"--tls-ca", cluster.tls_ca});
  }
  return argv;
}

// The compute's walproposer, as the postgres user when skctl runs as root (it needs no more
// rights than its PostgreSQL): it gets copies of the token and of the compute's password in the
// endpoint's private directory, files only that user reads.
Result<pid_t> start_walproposer(const LocalSettings& local, const fs::path& walproposer,
                                Cluster cluster, const std::string& tenant,
                                const BranchInfo& branch, int port, const fs::path& log) {
  auto private_dir = Endpoints(local.home).private_dir(port);
  if (!private_dir) {
    return private_dir.error();
  }
  auto password = ComputePasswords(local.home).find(tenant);
  if (!password) {
    return password.error();
  }
  const fs::path passfile = *private_dir / "walproposer.pgpass";
  if (Status s = replace_secret_file(passfile, pgpass_line("127.0.0.1", port, *password), 0600);
      !s) {
    return s.error();
  }
  std::vector<fs::path> handed = {passfile};
  if (!cluster.token_file.empty()) {
    auto token = auth::read_token_file(cluster.token_file);
    if (!token) {
      return token.error();
    }
    const fs::path own_token = *private_dir / "walproposer.token";
    if (Status s = replace_secret_file(own_token, *token, 0600); !s) {
      return s.error();
    }
    cluster.token_file = own_token.string();
    handed.push_back(own_token);
  }
  for (const fs::path& file : handed) {
    if (Status s = hand_to_postgres(file); !s) {
      return s.error();
    }
  }
  return spawn_detached(
      as_postgres(walproposer_argv(walproposer, cluster, tenant, branch, port, passfile)), log);
}

// The running compute's walproposer died: a new one, elected in a higher term, continues the
// timeline from what the primary has flushed.
Result<Endpoint> restart_walproposer(const ApiClient& api, const LocalSettings& local,
                                     const fs::path& walproposer, const Endpoints& endpoints,
                                     Endpoint endpoint, const BranchInfo& branch) {
  auto cluster = discover(api);
  auto logs = endpoints.log_dir(endpoint.port);
  if (!cluster || !logs) {
    return !cluster ? cluster.error() : logs.error();
  }
  note("the walproposer of the compute on port " + std::to_string(endpoint.port) +
       " is gone: starting it again");
  auto pid = start_walproposer(local, walproposer, *cluster, endpoint.tenant_id, branch,
                               endpoint.port, *logs / "walproposer.log");
  if (!pid) {
    return pid.error();
  }
  endpoint.walproposer_pid = *pid;
  if (Status s = endpoints.save(endpoint); !s) {
    return s.error();
  }
  if (Status s = wait_streaming(endpoint.port, *pid, *logs / "walproposer.log"); !s) {
    return s.error();
  }
  return endpoint;
}

// `skctl snapshot follow` beside the compute, with this skctl's own settings.
Result<pid_t> start_snapshot_agent(const ApiClient& api, const LocalSettings& local,
                                   const StartRequest& request, const fs::path& log) {
  std::error_code ec;
  const fs::path self = fs::read_symlink("/proc/self/exe", ec);
  if (ec) {
    return Error(ErrorCode::kInternal, "cannot find skctl's own program: " + ec.message());
  }
  std::string safekeepers;
  for (const std::string& address : api.addresses()) {
    safekeepers += (safekeepers.empty() ? "" : ",") + address;
  }
  std::vector<std::string> argv{self.string(),
                                "--safekeepers",
                                safekeepers,
                                "--tenant",
                                request.tenant_id,
                                "--home",
                                local.home.string(),
                                "--snapshot-store",
                                local.snapshot_store.string(),
                                "snapshot",
                                "follow",
                                "--branch",
                                request.branch,
                                "--port",
                                std::to_string(request.port),
                                "--every",
                                std::to_string(request.snapshot_every_bytes)};
  if (!local.pg_bindir.empty()) {
    argv.insert(argv.begin() + 1, {"--pg-bindir", local.pg_bindir});
  }
  if (!api.token_file().empty()) {
    argv.insert(argv.begin() + 1, {"--token-file", api.token_file()});
  }
  if (!api.tls_ca().empty()) {
    argv.insert(argv.begin() + 1, {"--tls-ca", api.tls_ca()});
  }
  return spawn_detached(argv, log);
}

}  // namespace

Result<Endpoint> start_endpoint(const ApiClient& api, const LocalSettings& local,
                                const StartRequest& request) {
  auto bindir = find_pg_bindir(local.pg_bindir);
  if (!bindir) {
    return bindir.error();
  }
  if (request.read_only) {
    return start_time_travel(api, local, *bindir, request);
  }
  auto walproposer = find_walproposer(local.walproposer);
  if (!request.replica && !walproposer) {
    return walproposer.error();
  }
  auto branch = get_branch(api, request.tenant_id, request.branch);
  if (!branch) {
    return branch.error();
  }
  const Endpoints endpoints(local.home);
  const fs::path pgdata = fs::absolute(request.pgdata);
  for (const Endpoint& e : endpoints.all()) {
    const bool alive = process_alive(e.postgres_pid);
    const bool same_branch =
        e.tenant_id == request.tenant_id && e.timeline_id == branch->timeline_id;
    if (!alive &&
        (e.pgdata == pgdata || (!request.replica && e.kind == "compute" && same_branch))) {
      // A server that died (killed, or its machine restarted): its leftovers go, and its data
      // directory is inspected below like any other.
      (void)stop_process(e.walproposer_pid, SIGTERM, std::chrono::seconds(10));
      (void)stop_process(e.snapshot_agent_pid, SIGTERM, std::chrono::seconds(10));
      (void)endpoints.remove(e);
      continue;
    }
    if (alive && !request.replica && e.kind == "compute" && same_branch) {
      if (!process_alive(e.walproposer_pid)) {
        return restart_walproposer(api, local, *walproposer, endpoints, e, *branch);
      }
      return Error(ErrorCode::kAlreadyExists,
                   "branch '" + branch->name + "' already has a compute on port " +
                       std::to_string(e.port) + "; stop it first: skctl compute stop --branch " +
                       branch->name);
    }
    if (alive && e.port == request.port) {
      return Error(ErrorCode::kAlreadyExists, "port " + std::to_string(e.port) +
                                                  " is taken by the " + e.kind + " of branch '" +
                                                  e.branch + "' (" + e.pgdata.string() + ")");
    }
  }
  auto cluster = discover(api);
  auto logs = endpoints.log_dir(request.port);
  if (!cluster || !logs) {
    return !cluster ? cluster.error() : logs.error();
  }
  yield_cpu_while_starting();

  Phases phases;
  // 1. Where the branch's log ends.
  std::optional<Lsn> end;
  if (request.replica) {
    auto head = furthest_head(api, request.tenant_id, branch->timeline_id);
    if (head) {
      end = head->second;
    }
  } else {
    auto synced =
        branch_end(api, *walproposer, *cluster, request.tenant_id, *branch, *logs / "sync.log");
    if (!synced) {
      return synced.error();
    }
    end = *synced;
  }

  phases.mark(request.replica ? "head" : "sync");
  // 2. The data directory: reused only after a clean stop that ends there; rebuilt otherwise.
  const DataDirInspection found = inspect_data_dir(request.pgdata, *bindir);
  if (found.state == DataDirState::kForeign) {
    return Error(ErrorCode::kFailedPrecondition,
                 found.why + ": give an empty or new directory, or one skctl made");
  }
  const bool reuse =
      found.state == DataDirState::kCleanStop && (request.replica || (end && found.wal_end == end));
  bool initdb = false;
  if (reuse) {
    if (Status s = forget_clean_stop(request.pgdata); !s) {
      return s.error();
    }
  } else {
    if (found.state != DataDirState::kEmpty) {
      note("rebuilding " + request.pgdata.string() + ": " +
           (found.state == DataDirState::kCleanStop
                ? "its WAL ends at " + found.wal_end->to_string() + ", the branch's at " +
                      (end ? end->to_string() : std::string("its start"))
                : found.why));
      if (Status s = clear_data_dir(request.pgdata); !s) {
        return s.error();
      }
    }
    auto restored = rebuild_data_dir(api, local, *bindir, request, *branch, end);
    if (!restored) {
      return restored.error();
    }
    initdb = !*restored;
  }
  if (request.replica) {
    std::ofstream(request.pgdata / "standby.signal").flush();
  }
  const ServerSettings settings{request.replica,
                                branch->name,
                                request.tenant_id,
                                branch->timeline_id,
                                request.port,
                                request.durability,
                                cluster->pg_hosts,
                                cluster->pg_ports,
                                api.token(),
                                cluster->tls_ca,
                                {}};
  if (Status s = prepare_server(local, settings, request.pgdata); !s) {
    return s.error();
  }

  phases.mark(reuse ? "reuse" : initdb ? "initdb" : "restore");
  // 3. PostgreSQL, then 4. its walproposer.
  Endpoint endpoint{request.replica ? "replica" : "compute",
                    request.tenant_id,
                    branch->name,
                    branch->timeline_id,
                    pgdata,
                    request.port,
                    0,
                    0,
                    0};
  auto postgres = start_postgres(*bindir, request.pgdata, *logs / "postgres.log");
  if (!postgres) {
    return postgres.error();
  }
  endpoint.postgres_pid = *postgres;
  phases.mark("postgres");
  if (!request.replica) {
    auto pid = start_walproposer(local, *walproposer, *cluster, request.tenant_id, *branch,
                                 request.port, *logs / "walproposer.log");
    if (!pid) {
      return pid.error();
    }
    endpoint.walproposer_pid = *pid;
  }
  if (Status s = endpoints.save(endpoint); !s) {
    return s.error();
  }
  if (!request.replica) {
    if (Status s =
            wait_streaming(request.port, endpoint.walproposer_pid, *logs / "walproposer.log");
        !s) {
      return s.error();
    }
    phases.mark("walproposer");
  }
  restore_priority(endpoint.postgres_pid);
  restore_priority(endpoint.walproposer_pid);
  if (!request.replica && request.snapshot_every_bytes > 0) {
    auto agent = start_snapshot_agent(api, local, request, *logs / "snapshots.log");
    if (!agent) {
      return agent.error();
    }
    endpoint.snapshot_agent_pid = *agent;
    if (Status s = endpoints.save(endpoint); !s) {
      return s.error();
    }
  }
  if (initdb) {
    // From now on the compute can be replaced: there is a snapshot to restore from.
    auto snapshot =
        create_snapshot(api, local, request.tenant_id, branch->name, "127.0.0.1", request.port);
    if (!snapshot) {
      return Error(snapshot.error().code(),
                   "the new database's first snapshot: " + snapshot.error().message());
    }
    phases.mark("first snapshot");
  }
  note(phases.summary());
  return endpoint;
}

Status prepare_server(const LocalSettings& local, ServerSettings settings, const fs::path& pgdata) {
  const Endpoints endpoints(local.home);
  auto socket_dir = endpoints.private_dir(settings.port);
  if (!socket_dir) {
    return socket_dir.error();
  }
  settings.socket_dir = *socket_dir;
  const ComputePasswords passwords(local.home);
  auto password = passwords.find(settings.tenant_id);
  if (!password) {
    return password.error();
  }
  if (Status s = write_config(pgdata, settings); !s) {
    return s;
  }
  if (Status s = hand_to_postgres(pgdata); !s) {
    return s;
  }
  return passwords.publish(settings.port, *socket_dir, *password);
}

Status stop_endpoint(const LocalSettings& local, const Endpoint& endpoint) {
  if (Status s = stop_process(endpoint.snapshot_agent_pid, SIGTERM, std::chrono::seconds(60)); !s) {
    return s;
  }
  auto bindir = find_pg_bindir(local.pg_bindir);
  if (!bindir) {
    return bindir.error();
  }
  // PostgreSQL first: its shutdown checkpoint still goes to the walproposer.
  if (Status s = stop_postgres(*bindir, endpoint.pgdata, endpoint.postgres_pid); !s) {
    return s;
  }
  if (Status s = stop_process(endpoint.walproposer_pid, SIGTERM, std::chrono::seconds(10)); !s) {
    return s;
  }
  // Marked clean only if PostgreSQL's own control file says it shut down (not killed above).
  auto control = read_controldata(endpoint.pgdata, *bindir);
  if (control && shut_down_cleanly(*control)) {
    if (Status s = mark_clean_stop(endpoint.pgdata); !s) {
      return s;
    }
  }
  if (endpoint.kind == kTimeTravelKind) {  // Nothing in it is worth keeping.
    std::error_code ec;
    fs::remove_all(endpoint.pgdata, ec);
  }
  if (Status s = ComputePasswords(local.home).withdraw(endpoint.port); !s) {
    return s;
  }
  return Endpoints(local.home).remove(endpoint);
}

Result<ApiReply> create_snapshot(const ApiClient& api, const LocalSettings& local,
                                 const std::string& tenant_id, const std::string& branch,
                                 const std::string& host, int port) {
  auto bindir = find_pg_bindir(local.pg_bindir);
  if (!bindir) {
    return bindir.error();
  }
  auto taken = SnapshotStore(local.snapshot_store).take(tenant_id, *bindir, host, port);
  if (!taken) {
    return taken.error();
  }
  const json::object body{{"branch", branch},
                          {"snapshot_id", taken->snapshot_id},
                          {"start_lsn", taken->start_lsn.to_string()},
                          {"end_lsn", taken->end_lsn.to_string()},
                          {"location", taken->location.string()},
                          {"checksum", taken->checksum},
                          {"size_bytes", taken->size_bytes}};
  return api.call("POST", "/v1/tenants/" + tenant_id + "/snapshots", json::value(body));
}

}  // namespace sk::skctl
