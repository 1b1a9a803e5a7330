// SkctlTest: the fixture of the pg tests that drive computes through skctl, as a user would: a
// three-node cluster with the branch log, skctl run as a program against it, its home and its
// snapshot store in the test's directory. As root the store and the computes' data directories
// share an XFS file system with reflink=1, loop-mounted for the test, so that computes start
// from clones; otherwise (or with `clone_store()` false) they are plain directories and restores
// copy.
#pragma once

#include <chrono>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include <boost/json.hpp>

#include "consensus/types.h"
#include "tests/integration/branch_api_client.h"
#include "tests/integration/postgres_server.h"

namespace sk::testing {

struct SkctlResult {
  std::optional<int> exit_code;
  std::string output;  // stdout and stderr.
};

class SkctlTest : public BranchApiTest {
 protected:
  void SetUp() override;
  void TearDown() override;
  // Whether the snapshot store should clone (an XFS mount; needs root).
  virtual bool clone_store() const { return true; }

  std::filesystem::path home() const { return dir_.path() / "skctl-home"; }
  // Where the store and the computes' data directories live: the XFS mount, if there is one.
  std::filesystem::path data_root() const { return mounted_ ? dir_.path() / "xfs" : dir_.path(); }
  std::filesystem::path store() const { return data_root() / "snapshots"; }
  bool store_is_mounted() const { return mounted_; }

  SkctlResult skctl(std::vector<std::string> args);
  // skctl, expected to succeed; its JSON output.
  boost::json::value skctl_json(std::vector<std::string> args);
  // A branch as of a timestamp; retried while the commit-time index catches up (exit 3, 503).
  SkctlResult create_branch_at(const std::string& name, const std::string& parent);
  // A compute (or replica) on `branch` in <data_root>/<pgdata>, default <kind>-<branch>; its libpq
  // connection string. `output`, if given, receives skctl's output.
  std::string start(const std::string& kind, const std::string& branch,
                    const std::string& pgdata = "", std::string* output = nullptr);
  static std::string conninfo_at(int port) {
    return "host=127.0.0.1 port=" + std::to_string(port) + " user=postgres dbname=postgres";
  }
  // The tenant, the root branch `main` and its first compute (initdb; skctl takes a snapshot).
  std::string start_main();
  // The pids skctl recorded for the compute of `branch` (postgres, walproposer); 0s if none.
  std::pair<int, int> compute_pids(const std::string& branch);

  // The rows of table t, comma-separated in order.
  static std::string rows(PgSession& session);
  // The moment after everything committed so far, in RFC 3339 (UTC).
  static std::string now_rfc3339(PgSession& session);
  // pg_current_wal_lsn() of the server; 0/0 if it does not answer.
  static consensus::Lsn current_lsn(PgSession& session);
  // Waits until every safekeeper reports the branch's head at or past `lsn`.
  bool head_reaches(const std::string& branch, consensus::Lsn lsn);

 private:
  bool mounted_ = false;
};

}  // namespace sk::testing
