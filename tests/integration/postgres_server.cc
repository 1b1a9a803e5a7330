// PostgresServer and PgSession; see postgres_server.h.
#include "tests/integration/postgres_server.h"

#include <fstream>
#include <iterator>

#include <libpq-fe.h>
#include <poll.h>
#include <pwd.h>
#include <unistd.h>

#include "safekeeper/skctl/local_process.h"
#include "tests/integration/free_port.h"

namespace sk::testing {

namespace fs = std::filesystem;

namespace {

std::string file_text_of(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

}  // namespace

std::optional<fs::path> postgres15_bindir() {
  auto dir = skctl::find_pg_bindir("");  // pg_config's, or the 15/bin next to it.
  return dir ? std::optional<fs::path>(*dir) : std::nullopt;
}

PostgresServer::PostgresServer(const fs::path& root, const fs::path& bindir)
    : root_(root), bindir_(bindir), data_dir_(root / "pgdata"), port_(free_port()) {
  if (!prepare_data_dir()) {
    return;
  }
  ChildProcess initdb =
      ChildProcess::spawn(as_postgres({(bindir_ / "initdb").string(), "--no-sync", "-U", "postgres",
                                       "--auth=trust", "-D", data_dir_.string()}),
                          root_ / "initdb.log");
  if (initdb.wait_exit(std::chrono::seconds(120)) != std::optional<int>(0)) {
    why_ = "initdb failed; see " + (root_ / "initdb.log").string();
    return;
  }
  append_config("port = " + std::to_string(port_) +
                "\n"
                "listen_addresses = '127.0.0.1'\n"
                "unix_socket_directories = ''\n"
                "synchronous_standby_names = 'walproposer'\n"
                "synchronous_commit = on\n"
                "max_wal_senders = 10\n"
                "max_replication_slots = 10\n"
                "shared_buffers = 32MB\n"
                // The primary's own durability is not what these tests check.
                "fsync = off\n");
  std::ofstream hba(data_dir_ / "pg_hba.conf", std::ios::app);
  hba << "host replication all 127.0.0.1/32 trust\n";
}

PostgresServer::PostgresServer(const fs::path& root, const fs::path& bindir,
                               const BaseBackupOf& source)
    : root_(root), bindir_(bindir), data_dir_(root / source.name), port_(free_port()) {
  if (!prepare_data_dir()) {
    return;
  }
  const fs::path log = root_ / (source.name + "_basebackup.log");
  ChildProcess backup = ChildProcess::spawn(
      as_postgres({(bindir_ / "pg_basebackup").string(), "-d", source.conninfo, "-D",
                   data_dir_.string(), "-X", "none", "--checkpoint=fast", "--no-sync"}),
      log);
  if (backup.wait_exit(std::chrono::seconds(120)) != std::optional<int>(0)) {
    why_ = "pg_basebackup failed: " + file_text_of(log);
    return;
  }
  append_config("port = " + std::to_string(port_) + "\n");
}

bool PostgresServer::prepare_data_dir() {
  if (::geteuid() != 0) {
    fs::create_directories(data_dir_);
    return true;
  }
  struct passwd* postgres = ::getpwnam("postgres");
  if (postgres == nullptr) {
    why_ = "running as root without a postgres user to run PostgreSQL as";
    return false;
  }
  // The postgres user must reach its data directory through ours.
  fs::permissions(root_, fs::perms::owner_all | fs::perms::others_exec | fs::perms::group_exec);
  fs::create_directories(data_dir_);
  fs::permissions(data_dir_, fs::perms::owner_all);
  if (::chown(data_dir_.c_str(), postgres->pw_uid, postgres->pw_gid) != 0) {
    why_ = "cannot hand " + data_dir_.string() + " to the postgres user";
    return false;
  }
  return true;
}

void PostgresServer::append_config(const std::string& lines) {
  std::ofstream(data_dir_ / "postgresql.conf", std::ios::app) << lines;
}

bool PostgresServer::write_file(const std::string& name, const std::string& content) {
  const fs::path path = data_dir_ / name;
  {
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out << content;
    if (!out.flush()) {
      return false;
    }
  }
  fs::permissions(path, fs::perms::owner_read | fs::perms::owner_write);
  if (::geteuid() == 0) {
    struct passwd* postgres = ::getpwnam("postgres");
    return postgres != nullptr && ::chown(path.c_str(), postgres->pw_uid, postgres->pw_gid) == 0;
  }
  return true;
}

std::vector<std::string> PostgresServer::as_postgres(std::vector<std::string> argv) const {
  if (::geteuid() != 0) {
    return argv;
  }
  std::vector<std::string> wrapped = {"/usr/bin/setpriv", "--reuid=postgres", "--regid=postgres",
                                      "--init-groups", "--"};
  wrapped.insert(wrapped.end(), argv.begin(), argv.end());
  return wrapped;
}

bool PostgresServer::start() {
  std::vector<std::string> argv = launcher_;
  const std::vector<std::string> postgres =
      as_postgres({(bindir_ / "postgres").string(), "-D", data_dir_.string()});
  argv.insert(argv.end(), postgres.begin(), postgres.end());
  process_ = ChildProcess::spawn(argv, log());
  if (process_.pid() < 0) {
    return false;
  }
  const std::string ping = "host=127.0.0.1 port=" + std::to_string(port_) + " dbname=postgres";
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  while (std::chrono::steady_clock::now() < deadline) {
    if (PQping(ping.c_str()) == PQPING_OK) {
      return true;
    }
    if (process_.wait_exit(std::chrono::milliseconds(50))) {
      return false;  // It exited: its log says why.
    }
  }
  return false;
}

std::string PostgresServer::conninfo() const {
  return "host=127.0.0.1 port=" + std::to_string(port_) + " user=postgres dbname=postgres";
}

PgSession::PgSession(const std::string& conninfo) : conn_(PQconnectdb(conninfo.c_str())) {}

PgSession::~PgSession() {
  if (conn_ != nullptr) {
    PQfinish(conn_);
  }
}

bool PgSession::ok() const {
  return conn_ != nullptr && PQstatus(conn_) == CONNECTION_OK;
}

std::string PgSession::error() const {
  return conn_ == nullptr ? "no connection" : PQerrorMessage(conn_);
}

std::optional<std::string> PgSession::query(const std::string& sql) {
  PGresult* result = PQexec(conn_, sql.c_str());
  const ExecStatusType status = PQresultStatus(result);
  std::optional<std::string> out;
  if (status == PGRES_TUPLES_OK) {
    out = PQntuples(result) > 0 && PQnfields(result) > 0 ? PQgetvalue(result, 0, 0) : "";
  } else if (status == PGRES_COMMAND_OK) {
    out = "";
  }
  PQclear(result);
  return out;
}

bool PgSession::send(const std::string& sql) {
  return PQsendQuery(conn_, sql.c_str()) == 1;
}

std::optional<bool> PgSession::wait_answer(std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  bool ok = true;
  for (;;) {
    if (PQconsumeInput(conn_) == 0) {
      return false;
    }
    while (PQisBusy(conn_) == 0) {
      PGresult* result = PQgetResult(conn_);
      if (result == nullptr) {
        return ok;  // Every result of the statement is in.
      }
      const ExecStatusType status = PQresultStatus(result);
      ok = ok && (status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK);
      PQclear(result);
    }
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) {
      return std::nullopt;
    }
    pollfd fd{PQsocket(conn_), POLLIN, 0};
    ::poll(&fd, 1, static_cast<int>(left.count()));
  }
}

}  // namespace sk::testing
