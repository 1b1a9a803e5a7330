// PostgreSQL 15 servers on this machine, as skctl runs them: their settings (one file skctl owns,
// included by postgresql.conf), their start and stop (pg_ctl), and the wait until a compute's
// walproposer streams.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include <sys/types.h>

#include "consensus/result.h"

namespace sk::skctl {

// Who keeps a compute's commits: `kQuorum` (the default) runs PostgreSQL with fsync = off and
// full_page_writes = off, since an acknowledged commit is on a majority of safekeepers and a data
// directory is never reused after an unclean stop (data_dir.h); `kLocal` keeps PostgreSQL's own
// defaults, for those who also want the local copy whole after a crash.
enum class Durability : std::uint8_t { kQuorum, kLocal };
// "quorum" or "local"; kInvalidArgument otherwise.
Result<Durability> parse_durability(const std::string& text);

struct ServerSettings {
  bool replica = false;
  std::string branch;
  std::string tenant_id;
  std::string timeline_id;
  int port = 0;
  Durability durability = Durability::kQuorum;
  // A replica's safekeepers: their replication ports. None for a time-travel server, which
  // streams from nowhere.
  std::vector<std::string> pg_hosts;
  std::vector<std::string> pg_ports;
  // The token a replica logs in to the replication ports with; empty: none.
  std::string replication_token;
  // The CA of the safekeepers' certificates: a replica then connects with sslmode=verify-full.
  std::string tls_ca;
  // The server's only unix socket directory: its own, mode 0700 (Endpoints::private_dir).
  std::filesystem::path socket_dir;
};

// The lines of the settings file (pure).
std::string server_config(const ServerSettings& settings);
// The whole of pg_hba.conf (pure): scram-sha-256 for every connection, local or TCP, ordinary
// or replication; nothing is trusted. The server listens on 127.0.0.1 and its socket only.
std::string client_auth_config();
// Writes the settings file, makes postgresql.conf include it (once) and replaces pg_hba.conf.
Status write_config(const std::filesystem::path& pgdata, const ServerSettings& settings);

std::string local_conninfo(int port);

// Starts the server with `pg_ctl start --wait` (its own session, so it outlives skctl; the log
// appended to `log`) and returns the postmaster's pid once it accepts connections, after any
// crash recovery. kInternal with pg_ctl's last line when it fails.
Result<pid_t> start_postgres(const std::filesystem::path& bindir,
                             const std::filesystem::path& pgdata, const std::filesystem::path& log);
// Stops the server `pid` with `pg_ctl stop`: fast shutdown (the shutdown checkpoint included),
// immediate if that does not end it within a minute, then SIGKILL for whatever is left.
Status stop_postgres(const std::filesystem::path& bindir, const std::filesystem::path& pgdata,
                     pid_t pid);

// Waits until the walproposer streams as the synchronous standby, so that commits go through.
Status wait_streaming(int port, pid_t walproposer, const std::filesystem::path& log);

}  // namespace sk::skctl
