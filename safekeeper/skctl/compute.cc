// Computes, replicas and snapshots on this machine; see compute.h.
#include "safekeeper/skctl/compute.h"

#include <cstdio>
#include <fstream>

#include <boost/json/value.hpp>
#include <signal.h>

#include "safekeeper/skctl/cluster_queries.h"
#include "safekeeper/skctl/command_line.h"
#include "safekeeper/skctl/data_dir.h"
#include "safekeeper/skctl/local_process.h"
#include "safekeeper/skctl/quorum_sync.h"
#include "safekeeper/skctl/restore_plan.h"
#include "safekeeper/skctl/snapshot_store.h"

namespace sk::skctl {
namespace fs = std::filesystem;
namespace json = boost::json;
using consensus::Lsn;

namespace {

constexpr auto kSyncTimeout = std::chrono::seconds(60);

void note(const std::string& text) {
  std::fprintf(stderr, "skctl: %s\n", text.c_str());
}

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

// Clones the newest snapshot usable for a log ending at `end` into `pgdata`; a damaged one is
// passed over for the next older. Returns the snapshot chosen.
Result<SnapshotInfo> clone_snapshot(const ApiClient& api, const LocalSettings& local,
                                    const fs::path& bindir, const StartRequest& request,
                                    const std::vector<BranchInfo>& chain, Lsn end) {
  auto snapshots = list_snapshots(api, request.tenant_id);
  if (!snapshots) {
    return snapshots.error();
  }
  std::vector<AncestryLevel> levels;
  for (const BranchInfo& level : chain) {
    levels.push_back({level.timeline_id, level.branch_lsn});
  }
  const SnapshotStore store(local.snapshot_store);
  std::vector<SnapshotInfo> candidates = *snapshots;
  std::string passed_over;
  for (;;) {
    const auto snapshot = choose_snapshot(levels, end, candidates);
    if (!snapshot) {
      return Error(ErrorCode::kFailedPrecondition,
                   "no" + std::string(passed_over.empty() ? "" : " undamaged") +
                       " snapshot of branch '" + chain.front().name +
                       "' or of its ancestors ends at or before " + end.to_string() +
                       ": take one of an ancestor's compute with `skctl snapshot create --branch "
                       "NAME`" +
                       passed_over);
    }
    auto report = store.restore(snapshot->location, snapshot->checksum, bindir, request.pgdata);
    if (report) {
      if (!report->all_cloned()) {
        note("cannot clone files from the snapshot store " + store.root().string() + " into " +
             request.pgdata.string() +
             " (no reflinks on its file system, or two file systems): copied " +
             std::to_string(report->copied_bytes >> 20) + " MiB of snapshot " +
             snapshot->snapshot_id);
      }
      return *snapshot;
    }
    if (report.error().code() != ErrorCode::kCorruption &&
        report.error().code() != ErrorCode::kInvalidArgument) {
      return report.error();
    }
    note(report.error().message() + "; trying an older snapshot");
    passed_over += "; passed over: " + report.error().message();
    if (Status s = clear_data_dir(request.pgdata); !s) {
      return s.error();
    }
    std::erase_if(candidates,
                  [&](const SnapshotInfo& s) { return s.snapshot_id == snapshot->snapshot_id; });
  }
}

// A data directory for the branch, rebuilt: its newest usable snapshot and its log up to `end`;
// or, for a root branch with nothing yet (`end` nullopt), initdb. Returns false for initdb.
Result<bool> rebuild_data_dir(const ApiClient& api, const LocalSettings& local,
                              const fs::path& bindir, const StartRequest& request,
                              const BranchInfo& branch, std::optional<Lsn> end) {
  std::error_code ec;
  fs::create_directories(request.pgdata, ec);
  auto chain = ancestry_of(api, request.tenant_id, branch);
  if (!chain) {
    return chain.error();
  }
  if (!end) {
    if (request.replica) {
      return Error(ErrorCode::kFailedPrecondition,
                   "branch '" + branch.name + "' has no data yet: start its compute first");
    }
    if (Status s = hand_to_postgres(request.pgdata); !s) {
      return s.error();
    }
    if (Status s =
            run_checked(as_postgres({(bindir / "initdb").string(), "-D", request.pgdata.string(),
                                     "-U", "postgres", "--auth=trust", "--no-instructions"}));
        !s) {
      return s.error();
    }
    return false;
  }
  auto snapshot = clone_snapshot(api, local, bindir, request, *chain, *end);
  if (!snapshot) {
    return snapshot.error();
  }
  fs::create_directories(request.pgdata / "pg_wal", ec);
  for (const char* stale : {"standby.signal", "recovery.signal", "postmaster.pid"}) {
    fs::remove(request.pgdata / stale, ec);
  }
  if (request.replica) {
    return true;  // It streams its WAL from the safekeepers.
  }
  auto head = furthest_head(api, request.tenant_id, branch.timeline_id);
  auto seg_size = segment_size(api, request.tenant_id, chain->back().timeline_id);
  if (!head || !seg_size) {
    return !head ? head.error() : seg_size.error();
  }
  if (head->second < *end) {
    return Error(ErrorCode::kUnavailable, "no safekeeper serves branch '" + branch.name +
                                              "' up to " + end->to_string() + " yet");
  }
  if (Status s = fetch_wal(api, head->first, request.tenant_id, branch.timeline_id,
                           snapshot->start_lsn, *end, *seg_size, request.pgdata / "pg_wal");
      !s) {
    return s.error();
  }
  return true;
}

std::vector<std::string> walproposer_argv(const fs::path& walproposer, const Cluster& cluster,
                                          const std::string& tenant, const BranchInfo& branch,
                                          int port) {
  std::vector<std::string> argv{walproposer.string(),
                                "--pgconn",
                                local_conninfo(port),
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
  return argv;
}

// The running compute's walproposer died: a new one, elected in a higher term, continues the
// timeline from what the primary has flushed.
Result<Endpoint> restart_walproposer(const ApiClient& api, const fs::path& walproposer,
                                     const Endpoints& endpoints, Endpoint endpoint,
                                     const BranchInfo& branch) {
  auto cluster = discover(api);
  auto logs = endpoints.log_dir(endpoint.port);
  if (!cluster || !logs) {
    return !cluster ? cluster.error() : logs.error();
  }
  note("the walproposer of the compute on port " + std::to_string(endpoint.port) +
       " is gone: starting it again");
  auto pid = spawn_detached(
      walproposer_argv(walproposer, *cluster, endpoint.tenant_id, branch, endpoint.port),
      *logs / "walproposer.log");
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
  ServerSettings settings{true,
                          request.branch,
                          request.tenant_id,
                          branch->timeline_id,
                          request.port,
                          request.durability,
                          {},
                          {}};
  if (Status s = write_config(request.pgdata, server_config(settings)); !s) {
    return s.error();
  }
  if (Status s = hand_to_postgres(request.pgdata); !s) {
    return s.error();
  }
  const Endpoints endpoints(local.home);
  auto logs = endpoints.log_dir(request.port);
  if (!logs) {
    return logs.error();
  }
  auto postgres = start_postgres(bindir, request.pgdata, request.port, *logs / "postgres.log");
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
        return restart_walproposer(api, *walproposer, endpoints, e, *branch);
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
  const ServerSettings settings{request.replica,     branch->name,     request.tenant_id,
                                branch->timeline_id, request.port,     request.durability,
                                cluster->pg_hosts,   cluster->pg_ports};
  if (Status s = write_config(request.pgdata, server_config(settings)); !s) {
    return s.error();
  }
  if (Status s = hand_to_postgres(request.pgdata); !s) {
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
  auto postgres = start_postgres(*bindir, request.pgdata, request.port, *logs / "postgres.log");
  if (!postgres) {
    return postgres.error();
  }
  endpoint.postgres_pid = *postgres;
  phases.mark("postgres");
  if (!request.replica) {
    auto pid = spawn_detached(
        walproposer_argv(*walproposer, *cluster, request.tenant_id, *branch, request.port),
        *logs / "walproposer.log");
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

Status stop_endpoint(const LocalSettings& local, const Endpoint& endpoint) {
  if (Status s = stop_process(endpoint.snapshot_agent_pid, SIGTERM, std::chrono::seconds(60)); !s) {
    return s;
  }
  // PostgreSQL first: its shutdown checkpoint still goes to the walproposer.
  if (Status s = stop_process(endpoint.postgres_pid, SIGINT, std::chrono::seconds(60)); !s) {
    return s;
  }
  if (Status s = stop_process(endpoint.walproposer_pid, SIGTERM, std::chrono::seconds(10)); !s) {
    return s;
  }
  // Marked clean only if PostgreSQL's own control file says it shut down (not killed above).
  auto bindir = find_pg_bindir(local.pg_bindir);
  auto control = bindir ? read_controldata(endpoint.pgdata, *bindir) : bindir.error();
  if (control && shut_down_cleanly(*control)) {
    if (Status s = mark_clean_stop(endpoint.pgdata); !s) {
      return s;
    }
  }
  if (endpoint.kind == kTimeTravelKind) {  // Nothing in it is worth keeping.
    std::error_code ec;
    fs::remove_all(endpoint.pgdata, ec);
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
