// SkctlTest; see skctl_fixture.h.
#include "tests/integration/skctl_fixture.h"

#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include "safekeeper/skctl/compute.h"
#include "safekeeper/skctl/endpoints.h"
#include "tests/integration/free_port.h"

namespace sk::testing {

namespace fs = std::filesystem;
namespace json = boost::json;
using consensus::Lsn;

namespace {

constexpr auto kSkctlTimeout = std::chrono::minutes(5);

// Runs a set-up program to its end; true if it exited 0.
bool run_quietly(std::vector<std::string> argv, const fs::path& log) {
  argv.insert(argv.begin(), "/usr/bin/env");  // Found on PATH (mkfs.xfs is in /usr/sbin).
  ChildProcess p = ChildProcess::spawn(argv, log);
  return p.wait_exit(std::chrono::minutes(2)) == std::optional<int>(0);
}

}  // namespace

void SkctlTest::SetUp() {
  if (!postgres15_bindir()) {
    GTEST_SKIP() << "PostgreSQL 15 is not installed";
  }
  BranchApiTest::SetUp();
  // Computes accept scram-sha-256 only: the test's clients (libpq here, psql and pgbench as its
  // children) find the password where skctl keeps it, as a user does with PGPASSFILE.
  ::setenv("PGPASSFILE", (home() / "pgpass").c_str(), 1);
  // PostgreSQL runs as the postgres user under root and must reach its data directories.
  ::chmod(dir_.path().c_str(), 0755);
  if (clone_store() && ::geteuid() == 0) {
    const fs::path image = dir_.path() / "xfs.img";
    const fs::path mount_point = dir_.path() / "xfs";
    const fs::path log = dir_.path() / "mkfs.log";
    fs::create_directories(mount_point);
    mounted_ = run_quietly({"truncate", "-s", "4G", image.string()}, log) &&
               run_quietly({"mkfs.xfs", "-q", "-m", "reflink=1", image.string()}, log) &&
               run_quietly({"mount", "-o", "loop", image.string(), mount_point.string()}, log);
    ASSERT_TRUE(mounted_) << "cannot mount an XFS file system (xfsprogs installed?): "
                          << file_text(log);
    ::chmod(mount_point.c_str(), 0755);
  }
  fs::create_directories(store());
}

void SkctlTest::TearDown() {
  // Every server skctl started, by the PIDs it recorded: stopped (fast), or killed.
  for (const skctl::Endpoint& e : skctl::Endpoints(home()).all()) {
    if (!skctl::stop_endpoint(skctl::LocalSettings{home(), store(), "", ""}, e)) {
      ADD_FAILURE() << "could not stop the " << e.kind << " of " << e.branch;
    }
  }
  if (mounted_ && ::umount2(data_root().c_str(), MNT_DETACH) != 0) {
    ADD_FAILURE() << "could not unmount " << data_root();
  }
}

SkctlResult SkctlTest::skctl(std::vector<std::string> args) {
  static int run = 0;
  const fs::path log = dir_.path() / ("skctl-" + std::to_string(++run) + ".log");
  std::vector<std::string> argv = {SK_SKCTL_BIN,    "--safekeepers", cluster_->http_flag(),
                                   "--home",        home().string(), "--snapshot-store",
                                   store().string()};
  if (args.front() != "tenant") {
    argv.insert(argv.end(), {"--tenant", kTenant});
  }
  argv.insert(argv.end(), args.begin(), args.end());
  ChildProcess process = ChildProcess::spawn(argv, log);
  SkctlResult result{process.wait_exit(kSkctlTimeout), ""};
  result.output = file_text(log);
  return result;
}

json::value SkctlTest::skctl_json(std::vector<std::string> args) {
  args.insert(args.end(), {"--output", "json"});
  const SkctlResult r = skctl(args);
  EXPECT_EQ(r.exit_code, std::optional<int>(0)) << r.output;
  boost::system::error_code ec;
  json::value v = json::parse(r.output, ec);
  return ec ? json::value() : v;
}

SkctlResult SkctlTest::create_branch_at(const std::string& name, const std::string& parent) {
  SkctlResult r;
  poll_until(
      cluster_->node(0).process,
      [&] {
        r = skctl({"branch", "create", name, "--parent", parent});
        return r.exit_code != std::optional<int>(3);
      },
      std::chrono::seconds(30));
  return r;
}

std::string SkctlTest::start(const std::string& kind, const std::string& branch,
                             const std::string& pgdata, std::string* output) {
  const std::uint16_t port = free_port();
  const SkctlResult r =
      skctl({kind, "start", "--branch", branch, "--pgdata",
             (data_root() / (pgdata.empty() ? kind + "-" + branch : pgdata)).string(), "--port",
             std::to_string(port)});
  EXPECT_EQ(r.exit_code, std::optional<int>(0)) << r.output;
  if (output != nullptr) {
    *output = r.output;
  }
  return conninfo_at(port);
}

std::string SkctlTest::start_main() {
  EXPECT_EQ(skctl({"tenant", "create", "t", "--tenant-id", kTenant}).exit_code, 0);
  EXPECT_EQ(skctl({"branch", "create", "main"}).exit_code, 0);
  return start("compute", "main");
}

std::pair<int, int> SkctlTest::compute_pids(const std::string& branch) {
  for (const skctl::Endpoint& e : skctl::Endpoints(home()).all()) {
    if (e.kind == "compute" && e.branch == branch) {
      return {e.postgres_pid, e.walproposer_pid};
    }
  }
  return {0, 0};
}

std::string SkctlTest::rows(PgSession& session) {
  return session.query("SELECT coalesce(string_agg(v, ',' ORDER BY v), '') FROM t")
      .value_or("<error: " + session.error() + ">");
}

std::string SkctlTest::now_rfc3339(PgSession& session) {
  return session
      .query(
          "SELECT to_char(clock_timestamp() AT TIME ZONE 'UTC', "
          "'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"')")
      .value_or("");
}

Lsn SkctlTest::current_lsn(PgSession& session) {
  return Lsn::parse(session.query("SELECT pg_current_wal_lsn()").value_or("")).value_or(Lsn());
}

bool SkctlTest::head_reaches(const std::string& branch, Lsn lsn) {
  return poll_until(
      cluster_->node(0).process,
      [&] {
        for (int i = 0; i < cluster_->size(); ++i) {
          const Reply r = call(i, "GET", branches_path() + "/" + branch);
          if (r.status != 200 || lsn_field(r.body, "head_lsn") < lsn) {
            return false;
          }
        }
        return true;
      },
      std::chrono::seconds(30));
}

}  // namespace sk::testing
