// PrimaryTest: the fixture of the `pg` tests: three safekeepers (ClusterTest) and a real
// PostgreSQL 15 primary set up for the walproposer, plus what the tests read back: the primary's
// own WAL files, and libpq connection strings for the safekeepers' replication ports.
#pragma once

#include <filesystem>
#include <optional>
#include <string>

#include "consensus/types.h"
#include "tests/integration/cluster_fixture.h"
#include "tests/integration/postgres_server.h"

namespace sk::testing {

inline constexpr std::uint64_t kSegBytes = 16 * 1024 * 1024;

class PrimaryTest : public ClusterTest {
 protected:
  // Skips the test when PostgreSQL 15 is not installed.
  void SetUp() override;

  // The walproposer for the primary (or for `server`) on the fixture's timeline, with slot
  // `slot`.
  ChildProcess start_walproposer(const std::string& log_name, const std::string& slot);
  ChildProcess start_walproposer_for(const PostgresServer& server, const std::string& log_name,
                                     const std::string& slot);
  // Makes `backup` (a base backup taken with -X none) a replacement primary: fetches the
  // timeline's segments from the one its backup_label starts in up to the one holding `until`
  // over HTTP (`/wal/{segment}`, committed WAL then zeros) from whichever safekeeper serves
  // them, into its pg_wal. Started without a recovery signal, it then replays to `until` and
  // goes on as a primary. "" on success, or what went wrong.
  std::string restore_wal_until(PostgresServer& backup, consensus::Lsn until);
  // The digest of the primary's WAL bytes [from, until), read from its pg_wal segment files;
  // "" if they cannot be read.
  std::string primary_digest(consensus::Lsn from, consensus::Lsn until);
  // The nodes whose flush LSN is at least `lsn`.
  int nodes_holding(consensus::Lsn lsn);
  // A libpq connection string for node i's replication port and the fixture's timeline (add
  // replication=true for a replication connection).
  std::string reader_conninfo(int i) const;
  // The primary's current WAL insert position.
  consensus::Lsn primary_insert_lsn(PgSession& session);

  std::filesystem::path bindir_;
  std::optional<PostgresServer> postgres_;
};

}  // namespace sk::testing
