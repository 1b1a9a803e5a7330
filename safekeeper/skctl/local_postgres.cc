// PostgreSQL servers on this machine; see local_postgres.h.
#include "safekeeper/skctl/local_postgres.h"

#include <csignal>
#include <fstream>
#include <thread>

#include <libpq-fe.h>

#include "safekeeper/skctl/data_dir.h"
#include "safekeeper/skctl/local_process.h"

namespace sk::skctl {
namespace fs = std::filesystem;

namespace {

constexpr auto kRecoveryDeadline = std::chrono::minutes(10);
constexpr auto kStreamingDeadline = std::chrono::seconds(60);
constexpr auto kPollInterval = std::chrono::milliseconds(20);

std::string conf_quote(const std::string& value) {
  std::string out = "'";
  for (const char c : value) {
    out += c == '\'' ? std::string("''") : std::string(1, c);
  }
  return out + "'";
}

std::string joined(const std::vector<std::string>& items) {
  std::string out;
  for (const std::string& item : items) {
    out += (out.empty() ? "" : ",") + item;
  }
  return out;
}

}  // namespace

Result<Durability> parse_durability(const std::string& text) {
  if (text == "quorum") {
    return Durability::kQuorum;
  }
  if (text == "local") {
    return Durability::kLocal;
  }
  return Error(ErrorCode::kInvalidArgument,
               "--durability must be quorum or local, not \"" + text + "\"");
}

std::string server_config(const ServerSettings& s) {
  std::string lines = "# skctl: " + std::string(s.replica ? "replica" : "compute") + " of branch " +
                      s.branch + " (tenant " + s.tenant_id + ", timeline " + s.timeline_id + ")\n" +
                      "port = " + std::to_string(s.port) + "\n" +
                      "listen_addresses = '127.0.0.1'\n"
                      "unix_socket_directories = " +
                      conf_quote(s.socket_dir.string()) + "\n" +
                      "password_encryption = 'scram-sha-256'\n"
                      "wal_level = replica\n"
                      "max_wal_senders = 10\n"
                      "max_replication_slots = 10\n"
                      "hot_standby = on\n";
  if (s.durability == Durability::kQuorum) {
    // The quorum keeps every acknowledged commit, and a directory left by an unclean stop is
    // rebuilt, never reused: local fsyncs and torn-page protection buy nothing here.
    // pg_basebackup still forces full-page writes on while it takes a snapshot.
    lines +=
        "fsync = off\n"
        "full_page_writes = off\n";
  }
  if (!s.replica) {
    return lines +
           "synchronous_standby_names = 'walproposer'\n"
           "synchronous_commit = on\n"
           "primary_conninfo = ''\n";
  }
  if (s.pg_hosts.empty()) {
    return lines + "synchronous_standby_names = ''\nprimary_conninfo = ''\n";
  }
  std::string conninfo = "host=" + joined(s.pg_hosts) + " port=" + joined(s.pg_ports) +
                         " user=postgres application_name=replica-" + std::to_string(s.port) +
                         " options='-c tenant_id=" + s.tenant_id +
                         " -c timeline_id=" + s.timeline_id + "'";
  if (!s.replication_token.empty()) {
    conninfo += " password=" + s.replication_token;
  }
  if (!s.tls_ca.empty()) {
    conninfo += " sslmode=verify-full sslrootcert=" + s.tls_ca;
  }
  return lines + "synchronous_standby_names = ''\n" + "primary_conninfo = " + conf_quote(conninfo) +
         "\n";
}

std::string client_auth_config() {
  return "# skctl: rewritten at every start. Every connection proves the role's password.\n"
         "# TYPE  DATABASE     USER  ADDRESS       METHOD\n"
         "local   all          all                 scram-sha-256\n"
         "host    all          all   127.0.0.1/32  scram-sha-256\n"
         "local   replication  all                 scram-sha-256\n"
         "host    replication  all   127.0.0.1/32  scram-sha-256\n";
}

// The endpoint's settings go to their own file, rewritten at every start, which
// postgresql.conf includes (once): a restored snapshot carries its source's copy, replaced here.
// pg_hba.conf is skctl's whole: whatever a snapshot brought is replaced.
Status write_config(const fs::path& pgdata, const ServerSettings& server) {
  const std::string lines = server_config(server);
  const char* kFile = kSkctlConfigFile;
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
  std::ofstream hba(pgdata / "pg_hba.conf", std::ios::trunc);
  hba << client_auth_config();
  if (!settings.flush() || !hba.flush()) {
    return Error(ErrorCode::kIoError,
                 "cannot write " + std::string(kFile) + " or pg_hba.conf in " + pgdata.string());
  }
  return {};
}

std::string local_conninfo(int port) {
  return "host=127.0.0.1 port=" + std::to_string(port) + " user=postgres dbname=postgres";
}

Result<pid_t> start_postgres(const fs::path& bindir, const fs::path& pgdata, const fs::path& log) {
  // pg_ctl runs the server as the postgres user, who must be able to append to its log.
  std::ofstream(log, std::ios::app).close();
  if (Status s = hand_to_postgres(log); !s) {
    return s.error();
  }
  const auto seconds = std::chrono::duration_cast<std::chrono::seconds>(kRecoveryDeadline);
  if (Status s = run_checked(as_postgres({(bindir / "pg_ctl").string(), "start", "--silent",
                                          "--wait", "--timeout", std::to_string(seconds.count()),
                                          "--pgdata", pgdata.string(), "--log", log.string()}));
      !s) {
    return Error(s.error().code(), s.error().message() + "; see " + log.string());
  }
  // The postmaster's pid is the first line of postmaster.pid.
  std::ifstream pid_file(pgdata / "postmaster.pid");
  pid_t pid = 0;
  if (!(pid_file >> pid) || pid <= 0) {
    return Error(ErrorCode::kInternal, "pg_ctl started PostgreSQL but " +
                                           (pgdata / "postmaster.pid").string() +
                                           " names no process");
  }
  return pid;
}

Status stop_postgres(const fs::path& bindir, const fs::path& pgdata, pid_t pid) {
  const std::string pg_ctl = (bindir / "pg_ctl").string();
  for (const char* mode : {"fast", "immediate"}) {
    if (!process_alive(pid)) {
      return {};
    }
    (void)run_program(as_postgres({pg_ctl, "stop", "--silent", "--wait", "--timeout", "60",
                                   "--mode", mode, "--pgdata", pgdata.string()}));
  }
  return stop_process(pid, SIGKILL, std::chrono::milliseconds(0));
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

}  // namespace sk::skctl
