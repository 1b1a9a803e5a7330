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

  // The walproposer for the primary on the fixture's timeline, with slot `slot`.
  ChildProcess start_walproposer(const std::string& log_name, const std::string& slot);
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
