// Computes, replicas and snapshots on this machine; see compute.h.
#include "safekeeper/skctl/compute.h"

#include <fstream>
#include <thread>

#include <boost/json/value.hpp>
#include <libpq-fe.h>
#include <signal.h>

#include "safekeeper/pgwal/segment_name.h"
#include "safekeeper/skctl/local_process.h"
#include "safekeeper/skctl/restore_plan.h"
#include "safekeeper/skctl/snapshot_store.h"

namespace sk::skctl {
namespace fs = std::filesystem;
namespace json = boost::json;
using consensus::Lsn;

namespace {

constexpr auto kRecoveryDeadline = std::chrono::minutes(10);
constexpr auto kStreamingDeadline = std::chrono::seconds(60);
constexpr auto kPollInterval = std::chrono::milliseconds(20);

std::string text_of(const json::object& o, const char* key) {
  const auto* v = o.if_contains(key);
  return v != nullptr && v->is_string() ? std::string(v->get_string()) : std::string();
}

std::optional<Lsn> lsn_of(const json::object& o, const char* key) {
  const std::string text = text_of(o, key);
  return text.empty() ? std::nullopt : Lsn::parse(text);
}

// ----- The cluster and the branch log --------------------------------------------------------

// What the walproposer and a replica need, from the safekeepers' /v1/status.
struct Cluster {
  std::string safekeepers_flag;       // id=host:port,... of every member (--peers).
  std::vector<std::string> http;      // The HTTP addresses that answered.
  std::vector<std::string> pg_hosts;  // Their replication ports.
  std::vector<std::string> pg_ports;
};

// "0.0.0.0:5455" reached as "10.0.0.1:7676" is "10.0.0.1:5455".
std::pair<std::string, std::string> split_address(const std::string& address,
                                                  const std::string& reached_at) {
  const auto colon = address.rfind(':');
  std::string host = address.substr(0, colon);
  if (host == "0.0.0.0" || host == "::" || host.empty()) {
    host = reached_at.substr(0, reached_at.rfind(':'));
  }
  return {host, colon == std::string::npos ? "" : address.substr(colon + 1)};
}

Result<Cluster> discover(const ApiClient& api) {
  Cluster cluster;
  std::string unreachable;
  for (const std::string& address : api.addresses()) {
    auto status =
        api.call_at(address, "GET", "/v1/status", std::nullopt, {}, std::chrono::seconds(5));
    if (!status || !status->body.is_object()) {
      unreachable += "; " + (status ? address + ": not a status" : status.error().message());
      continue;
    }
    const json::object& o = status->body.get_object();
    cluster.http.push_back(address);
    if (const auto* listening = o.if_contains("listening"); listening && listening->is_object()) {
      const auto [host, port] = split_address(text_of(listening->get_object(), "pg"), address);
      cluster.pg_hosts.push_back(host);
      cluster.pg_ports.push_back(port);
    }
    const auto* peers = o.if_contains("peers");
    if (cluster.safekeepers_flag.empty() && peers != nullptr && peers->is_array()) {
      for (const auto& peer : peers->get_array()) {
        if (!peer.is_object() || !peer.get_object().contains("node_id")) {
          continue;
        }
        const auto [host, port] = split_address(text_of(peer.get_object(), "proposer"), address);
        const auto id = peer.get_object().at("node_id").to_number<std::uint64_t>();
        cluster.safekeepers_flag += (cluster.safekeepers_flag.empty() ? "" : ",") +
                                    std::to_string(id) + "=" + host + ":" + port;
      }
    }
  }
  if (cluster.http.empty()) {
    return Error(ErrorCode::kUnavailable, "no safekeeper answered" + unreachable);
  }
  if (cluster.safekeepers_flag.empty()) {
    return Error(ErrorCode::kFailedPrecondition,
                 "the safekeepers report no cluster members: start them with --peers");
  }
  return cluster;
}

struct BranchInfo {
  std::string name;
  std::string timeline_id;
  std::string parent_timeline_id;  // Empty for a root.
  std::optional<Lsn> branch_lsn;   // nullopt for a root.
  std::optional<Lsn> head;         // nullopt: a root without WAL.
};

std::string branch_path(const std::string& tenant, const std::string& branch) {
  return "/v1/tenants/" + tenant + "/branches/" + url_encode(branch);
}

BranchInfo branch_info(const json::value& body) {
  const json::object& o = body.as_object();
  return {text_of(o, "name"), text_of(o, "timeline_id"), text_of(o, "parent_timeline_id"),
          lsn_of(o, "lsn"), lsn_of(o, "head_lsn")};
}

Result<BranchInfo> get_branch(const ApiClient& api, const std::string& tenant,
                              const std::string& branch) {
  auto reply = api.call("GET", branch_path(tenant, branch));
  if (!reply) {
    return reply.error();
  }
  return branch_info(reply->body);
}

// The branch first, its root last.
Result<std::vector<BranchInfo>> ancestry_of(const ApiClient& api, const std::string& tenant,
                                            const BranchInfo& branch) {
  std::vector<BranchInfo> chain{branch};
  while (!chain.back().parent_timeline_id.empty()) {
    auto parent = get_branch(api, tenant, chain.back().parent_timeline_id);
    if (!parent) {
      return parent.error();
    }
    chain.push_back(*parent);
  }
  return chain;
}

Result<std::vector<SnapshotInfo>> list_snapshots(const ApiClient& api, const std::string& tenant) {
  auto reply = api.call("GET", "/v1/tenants/" + tenant + "/snapshots");
  if (!reply) {
    return reply.error();
  }
  std::vector<SnapshotInfo> out;
  for (const auto& v : reply->body.as_object().at("snapshots").as_array()) {
    const json::object& o = v.as_object();
    out.push_back({text_of(o, "snapshot_id"), text_of(o, "timeline_id"),
                   lsn_of(o, "start_lsn").value_or(Lsn(0)), lsn_of(o, "end_lsn").value_or(Lsn(0)),
                   text_of(o, "location"), text_of(o, "checksum")});
  }
  return out;
}

// The safekeeper that knows the branch's log furthest, and that head: the WAL is fetched from
// it, so that no segment comes from a node that has not learnt of a commit yet (zeros there).
Result<std::pair<std::string, Lsn>> furthest_head(const ApiClient& api, const std::string& tenant,
                                                  const std::string& timeline) {
  std::optional<std::pair<std::string, Lsn>> best;
  for (const std::string& address : api.addresses()) {
    auto reply = api.call_at(address, "GET", branch_path(tenant, timeline));
    if (!reply) {
      continue;
    }
    const auto head = lsn_of(reply->body.as_object(), "head_lsn");
    if (head && (!best || *head > best->second)) {
      best = {address, *head};
    }
  }
  if (!best) {
    return Error(ErrorCode::kUnavailable, "no safekeeper reports the branch's head");
  }
  return *best;
}

Result<std::uint64_t> segment_size(const ApiClient& api, const std::string& tenant,
                                   const std::string& root_timeline) {
  auto reply = api.call("GET", "/v1/tenants/" + tenant + "/timelines/" + root_timeline);
  if (!reply) {
    return reply.error();
  }
  const auto* size = reply->body.as_object().if_contains("wal_seg_size");
  if (size == nullptr || !size->is_int64() ||
      !pgwal::is_valid_segment_size(static_cast<std::uint64_t>(size->get_int64()))) {
    return Error(ErrorCode::kInternal, "the root timeline reports no segment size");
  }
  return static_cast<std::uint64_t>(size->get_int64());
}

// Writes the branch's log [from, until) into pg_wal, segment by segment, from `preferred` (the
// furthest node) or, for a segment it cannot serve, from any other.
Status fetch_wal(const ApiClient& api, const std::string& preferred, const std::string& tenant,
                 const std::string& timeline, Lsn from, Lsn until, std::uint64_t seg_size,
                 const fs::path& pgdata) {
  std::vector<std::string> order{preferred};
  for (const std::string& a : api.addresses()) {
    if (a != preferred) {
      order.push_back(a);
    }
  }
  for (const std::uint64_t segno : segments_between(from, until, seg_size)) {
    const std::string name = pgwal::segment_file_name(1, segno, seg_size);
    std::optional<Error> last_error;
    bool written = false;
    for (const std::string& address : order) {
      auto bytes = api.fetch_at(
          address, "/v1/tenants/" + tenant + "/timelines/" + timeline + "/wal/" + name);
      if (!bytes) {
        last_error = bytes.error();
        continue;
      }
      std::ofstream out(pgdata / "pg_wal" / name, std::ios::binary | std::ios::trunc);
      out.write(bytes->data(), static_cast<std::streamsize>(bytes->size()));
      if (!out.flush()) {
        return Error(ErrorCode::kIoError, "cannot write " + (pgdata / "pg_wal" / name).string());
      }
      written = true;
      break;
    }
    if (!written) {
      return Error(last_error ? last_error->code() : ErrorCode::kUnavailable,
                   "WAL segment " + name + " of the branch: " +
                       (last_error ? last_error->message() : std::string("no safekeeper")));
    }
  }
  return {};
}

// ----- PostgreSQL on this machine ------------------------------------------------------------

// The endpoint's settings go to their own file, rewritten at every start, which
// postgresql.conf includes (once): a restored snapshot carries its source's copy, replaced here.
Status write_config(const fs::path& pgdata, const std::string& lines) {
  constexpr const char* kFile = "postgresql.skctl.conf";
  std::ifstream current(pgdata / "postgresql.conf");
  const std::string include = std::string("include_if_exists = '") + kFile + "'";
  bool included = false;
  for (std::string line; std::getline(current, line);) {
    included = included || line == include;
  }
  std::ofstream settings(pgdata / kFile, std::ios::trunc);
  settings << lines;
  if (!included) {
    std::ofstream(pgdata / "postgresql.conf", std::ios::app) << "\n" << include << "\n";
  }
  return settings.flush()
             ? Status{}
             : Status(Error(ErrorCode::kIoError, "cannot write " + std::string(kFile)));
}

std::string conf_quote(const std::string& value) {
  std::string out = "'";
  for (const char c : value) {
    out += c == '\'' ? std::string("''") : std::string(1, c);
  }
  return out + "'";
}

std::string local_conninfo(int port) {
  return "host=127.0.0.1 port=" + std::to_string(port) + " user=postgres dbname=postgres";
}

// Starts postgres, detached, and waits until it accepts connections (after crash recovery).
Result<pid_t> start_postgres(const fs::path& bindir, const fs::path& pgdata, int port,
                             const fs::path& log) {
  auto pid =
      spawn_detached(as_postgres({(bindir / "postgres").string(), "-D", pgdata.string()}), log);
  if (!pid) {
    return pid.error();
  }
  const std::string ping = local_conninfo(port) + " connect_timeout=2";
  const auto deadline = std::chrono::steady_clock::now() + kRecoveryDeadline;
  while (PQping(ping.c_str()) != PQPING_OK) {
    if (!process_alive(*pid)) {
      return Error(ErrorCode::kInternal, "PostgreSQL exited at start; see " + log.string());
    }
    if (std::chrono::steady_clock::now() > deadline) {
      return Error(ErrorCode::kInternal,
                   "PostgreSQL did not accept connections in time; see " + log.string());
    }
    std::this_thread::sleep_for(kPollInterval);
  }
  return *pid;
}

// Waits until the walproposer streams as the synchronous standby, so that commits go through.
Status wait_streaming(int port, pid_t walproposer, const fs::path& log) {
  PGconn* conn = PQconnectdb(local_conninfo(port).c_str());
  const auto deadline = std::chrono::steady_clock::now() + kStreamingDeadline;
  Status result;
  for (;;) {
    PGresult* r = PQexec(conn,
                         "SELECT 1 FROM pg_stat_replication WHERE application_name = "
                         "'walproposer' AND state = 'streaming'");
    const bool streaming = PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) == 1;
    PQclear(r);
    if (streaming) {
      break;
    }
    if (!process_alive(walproposer)) {
      result = Error(ErrorCode::kInternal, "the walproposer exited; see " + log.string());
      break;
    }
    if (std::chrono::steady_clock::now() > deadline) {
      result =
          Error(ErrorCode::kInternal, "the walproposer is not streaming yet; see " + log.string());
      break;
    }
    std::this_thread::sleep_for(kPollInterval);
  }
  PQfinish(conn);
  return result;
}

// A new data directory for the branch: its newest usable snapshot and its log up to its head;
// or, for a root branch with nothing yet, initdb. Returns false for initdb.
Result<bool> restore_data_dir(const ApiClient& api, const fs::path& bindir,
                              const StartRequest& request, const BranchInfo& branch) {
  auto chain = ancestry_of(api, request.tenant_id, branch);
  if (!chain) {
    return chain.error();
  }
  if (chain->size() == 1 && !branch.head) {
    if (request.replica) {
      return Error(ErrorCode::kFailedPrecondition,
                   "branch '" + branch.name + "' has no data yet: start its compute first");
    }
    std::error_code ec;
    fs::create_directories(request.pgdata, ec);
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
  auto head = furthest_head(api, request.tenant_id, branch.timeline_id);
  auto snapshots = list_snapshots(api, request.tenant_id);
  if (!head || !snapshots) {
    return !head ? head.error() : snapshots.error();
  }
  std::vector<AncestryLevel> levels;
  for (const BranchInfo& level : *chain) {
    levels.push_back({level.timeline_id, level.branch_lsn});
  }
  const auto snapshot = choose_snapshot(levels, head->second, *snapshots);
  if (!snapshot) {
    return Error(ErrorCode::kFailedPrecondition,
                 "no snapshot of branch '" + branch.name +
                     "' or of its ancestors ends at or before its branch point: take one of an "
                     "ancestor's compute with `skctl snapshot create --branch NAME`");
  }
  if (Status s = restore_snapshot(snapshot->location, snapshot->checksum, request.pgdata); !s) {
    return s.error();
  }
  std::error_code ec;
  fs::create_directories(request.pgdata / "pg_wal", ec);
  for (const char* stale : {"standby.signal", "recovery.signal", "postmaster.pid"}) {
    fs::remove(request.pgdata / stale, ec);
  }
  if (!request.replica) {
    auto seg_size = segment_size(api, request.tenant_id, chain->back().timeline_id);
    if (!seg_size) {
      return seg_size.error();
    }
    if (Status s = fetch_wal(api, head->first, request.tenant_id, branch.timeline_id,
                             snapshot->start_lsn, head->second, *seg_size, request.pgdata);
        !s) {
      return s.error();
    }
  }
  return true;
}

std::string endpoint_config(const StartRequest& request, const BranchInfo& branch,
                            const Cluster& cluster) {
  std::string lines = "# skctl: " + std::string(request.replica ? "replica" : "compute") +
                      " of branch " + branch.name + " (tenant " + request.tenant_id +
                      ", timeline " + branch.timeline_id + ")\n" +
                      "port = " + std::to_string(request.port) + "\n" +
                      "listen_addresses = '127.0.0.1'\n"
                      "unix_socket_directories = '/tmp'\n"
                      "wal_level = replica\n"
                      "max_wal_senders = 10\n"
                      "max_replication_slots = 10\n"
                      "hot_standby = on\n";
  if (!request.replica) {
    return lines +
           "synchronous_standby_names = 'walproposer'\n"
           "synchronous_commit = on\n"
           "primary_conninfo = ''\n";
  }
  std::string hosts;
  std::string ports;
  for (std::size_t i = 0; i < cluster.pg_hosts.size(); ++i) {
    hosts += (i ? "," : "") + cluster.pg_hosts[i];
    ports += (i ? "," : "") + cluster.pg_ports[i];
  }
  const std::string conninfo =
      "host=" + hosts + " port=" + ports + " user=postgres application_name=replica-" +
      std::to_string(request.port) + " options='-c tenant_id=" + request.tenant_id +
      " -c timeline_id=" + branch.timeline_id + "'";
  return lines + "synchronous_standby_names = ''\n" + "primary_conninfo = " + conf_quote(conninfo) +
         "\n";
}

}  // namespace

Result<Endpoint> start_endpoint(const ApiClient& api, const LocalSettings& local,
                                const StartRequest& request) {
  auto bindir = find_pg_bindir(local.pg_bindir);
  if (!bindir) {
    return bindir.error();
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
  for (const Endpoint& e : endpoints.all()) {
    const bool alive = process_alive(e.postgres_pid);
    if (alive && e.port == request.port) {
      return Error(ErrorCode::kAlreadyExists, "port " + std::to_string(e.port) +
                                                  " is taken by the " + e.kind + " of branch '" +
                                                  e.branch + "' (" + e.pgdata.string() + ")");
    }
    if (alive && !request.replica && e.kind == "compute" && e.tenant_id == request.tenant_id &&
        e.timeline_id == branch->timeline_id) {
      return Error(ErrorCode::kAlreadyExists,
                   "branch '" + branch->name + "' already has a compute on port " +
                       std::to_string(e.port) + "; stop it first: skctl compute stop --branch " +
                       branch->name);
    }
  }
  auto cluster = discover(api);
  if (!cluster) {
    return cluster.error();
  }
  std::error_code ec;
  if (!fs::exists(request.pgdata / "PG_VERSION", ec)) {
    auto restored = restore_data_dir(api, *bindir, request, *branch);
    if (!restored) {
      return restored.error();
    }
  }
  if (request.replica) {
    std::ofstream(request.pgdata / "standby.signal").flush();
  }
  if (Status s = write_config(request.pgdata, endpoint_config(request, *branch, *cluster)); !s) {
    return s.error();
  }
  if (Status s = hand_to_postgres(request.pgdata); !s) {
    return s.error();
  }
  auto logs = endpoints.log_dir(request.port);
  if (!logs) {
    return logs.error();
  }
  Endpoint endpoint{request.replica ? "replica" : "compute",
                    request.tenant_id,
                    branch->name,
                    branch->timeline_id,
                    fs::absolute(request.pgdata),
                    request.port,
                    0,
                    0};
  auto postgres = start_postgres(*bindir, request.pgdata, request.port, *logs / "postgres.log");
  if (!postgres) {
    return postgres.error();
  }
  endpoint.postgres_pid = *postgres;
  if (!request.replica) {
    std::vector<std::string> argv{walproposer->string(),
                                  "--pgconn",
                                  local_conninfo(request.port),
                                  "--safekeepers",
                                  cluster->safekeepers_flag,
                                  "--http",
                                  "",
                                  "--tenant",
                                  request.tenant_id,
                                  "--timeline",
                                  branch->timeline_id};
    for (std::size_t i = 0; i < cluster->http.size(); ++i) {
      argv[6] += (i ? "," : "") + cluster->http[i];
    }
    if (branch->branch_lsn) {
      argv.insert(argv.end(), {"--start-lsn", branch->branch_lsn->to_string()});
    }
    auto pid = spawn_detached(argv, *logs / "walproposer.log");
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
  }
  return endpoint;
}

Status stop_endpoint(const LocalSettings& local, const Endpoint& endpoint) {
  // PostgreSQL first: its shutdown checkpoint still goes to the walproposer.
  if (Status s = stop_process(endpoint.postgres_pid, SIGINT, std::chrono::seconds(60)); !s) {
    return s;
  }
  if (Status s = stop_process(endpoint.walproposer_pid, SIGTERM, std::chrono::seconds(10)); !s) {
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
  auto taken = take_snapshot(local.home / "snapshots", tenant_id, *bindir, host, port);
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
