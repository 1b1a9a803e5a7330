// PostgresServer: a real PostgreSQL 15 for the `pg` tests: initdb in the test's directory, set
// up as the walproposer's primary (synchronous_standby_names = 'walproposer', replication from
// 127.0.0.1 trusted), started on a free port and stopped by its PID. As root it runs as the
// `postgres` user (setpriv execs, so the PID is the postmaster's). PgSession is a libpq client
// for the tests' SQL, with a way to send a statement and wait for its answer with a deadline.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "tests/integration/child_process.h"

struct pg_conn;

namespace sk::testing {

// The directory of PostgreSQL 15's server programs (pg_config --bindir, or the Debian layout
// pg_config names for version 15), or nullopt when PostgreSQL 15 is not installed.
std::optional<std::filesystem::path> postgres15_bindir();

class PostgresServer {
 public:
  // Prepares <root>/pgdata with initdb. Empty why() on success.
  PostgresServer(const std::filesystem::path& root, const std::filesystem::path& bindir);
  // A copy of a running server in <root>/<name>, made with pg_basebackup without WAL (`-X none`:
  // its WAL is to come from the safekeepers), on a port of its own. Set it up (append_config,
  // touch) before start(). Empty why() on success.
  struct BaseBackupOf {
    std::string conninfo;  // Of the server to copy.
    std::string name;
  };
  PostgresServer(const std::filesystem::path& root, const std::filesystem::path& bindir,
                 const BaseBackupOf& source);
  const std::string& why() const { return why_; }

  // Appends lines to postgresql.conf (later settings win).
  void append_config(const std::string& lines);
  // Writes a file in the data directory (standby.signal, a pg_wal segment), owned by the
  // postgres user when we are root. False if it cannot be written.
  bool write_file(const std::string& name, const std::string& content = "");

  // Put before the postmaster's command line at start() (a program that runs it: ip netns
  // exec NAME, for a server in a network namespace the calling thread is in too).
  void set_launcher(std::vector<std::string> launcher) { launcher_ = std::move(launcher); }
  // Starts the postmaster and waits (up to 60 s) until it accepts connections.
  bool start();
  void kill() { process_.kill_and_wait(); }
  ChildProcess& process() { return process_; }
  std::uint16_t port() const { return port_; }
  // A libpq connection string to the server as the postgres user, database postgres.
  std::string conninfo() const;
  const std::filesystem::path& data_dir() const { return data_dir_; }
  std::filesystem::path log() const { return root_ / (data_dir_.filename().string() + ".log"); }

 private:
  // Creates the data directory, owned by the postgres user when we are root.
  bool prepare_data_dir();
  // argv run as the postgres user when we are root.
  std::vector<std::string> as_postgres(std::vector<std::string> argv) const;

  std::filesystem::path root_;
  std::filesystem::path bindir_;
  std::filesystem::path data_dir_;
  std::uint16_t port_ = 0;
  std::string why_;
  std::vector<std::string> launcher_;
  ChildProcess process_;
};

class PgSession {
 public:
  explicit PgSession(const std::string& conninfo);
  ~PgSession();
  PgSession(const PgSession&) = delete;
  PgSession& operator=(const PgSession&) = delete;

  bool ok() const;
  std::string error() const;
  // Runs `sql` and returns the first column of the first row ("" for none), or nullopt on an
  // error (see error()).
  std::optional<std::string> query(const std::string& sql);
  // Sends `sql` without waiting.
  bool send(const std::string& sql);
  // Waits up to `timeout` for the answer to what send() sent: true once it completed without
  // error, false on an error, nullopt if it has not answered in time (ask again later).
  std::optional<bool> wait_answer(std::chrono::milliseconds timeout);

 private:
  pg_conn* conn_ = nullptr;
};

}  // namespace sk::testing
