// Computes and replicas on branches, end to end through skctl: real PostgreSQL 15 servers
// restored from a snapshot and the safekeepers' composed WAL, each with its walproposer.
//
// Time travel three levels deep: main -> b1 as of a timestamp -> b2 at an LSN of b1 -> b3 as of
// a timestamp on b2's own WAL; each compute sees exactly the rows of its history, and writes on
// one branch appear on no other. A replica on a branch follows that branch's compute.
#include <csignal>

#include <sys/stat.h>

#include "safekeeper/skctl/compute.h"
#include "safekeeper/skctl/endpoints.h"
#include "tests/integration/branch_api_client.h"
#include "tests/integration/free_port.h"
#include "tests/integration/postgres_server.h"

namespace sk::testing {
namespace {

namespace fs = std::filesystem;
namespace json = boost::json;
using consensus::Lsn;

constexpr auto kSkctlTimeout = std::chrono::minutes(5);

struct SkctlResult {
  std::optional<int> exit_code;
  std::string output;  // stdout and stderr.
};

class BranchComputeTest : public BranchApiTest {
 protected:
  void SetUp() override {
    const auto bindir = postgres15_bindir();
    if (!bindir) {
      GTEST_SKIP() << "PostgreSQL 15 is not installed";
    }
    BranchApiTest::SetUp();
    // PostgreSQL runs as the postgres user under root and must reach its data directories.
    ::chmod(dir_.path().c_str(), 0755);
  }

  void TearDown() override {
    // Every server skctl started, by the PIDs it recorded: stopped (fast), or killed.
    for (const skctl::Endpoint& e : skctl::Endpoints(home()).all()) {
      if (!skctl::stop_endpoint(skctl::LocalSettings{home(), "", ""}, e)) {
        ADD_FAILURE() << "could not stop the " << e.kind << " of " << e.branch;
      }
    }
  }

  fs::path home() const { return dir_.path() / "skctl-home"; }

  SkctlResult skctl(std::vector<std::string> args) {
    static int run = 0;
    const fs::path log = dir_.path() / ("skctl-" + std::to_string(++run) + ".log");
    std::vector<std::string> argv = {SK_SKCTL_BIN, "--safekeepers", cluster_->http_flag(), "--home",
                                     home().string()};
    if (args.front() != "tenant") {
      argv.insert(argv.end(), {"--tenant", kTenant});
    }
    argv.insert(argv.end(), args.begin(), args.end());
    ChildProcess process = ChildProcess::spawn(argv, log);
    SkctlResult result{process.wait_exit(kSkctlTimeout), ""};
    result.output = file_text(log);
    return result;
  }

  // skctl, expected to succeed; its JSON output.
  json::value skctl_json(std::vector<std::string> args) {
    args.insert(args.end(), {"--output", "json"});
    const SkctlResult r = skctl(args);
    EXPECT_EQ(r.exit_code, std::optional<int>(0)) << r.output;
    boost::system::error_code ec;
    json::value v = json::parse(r.output, ec);
    return ec ? json::value() : v;
  }

  // A branch as of a timestamp; retried while the commit-time index catches up (exit 2, 503).
  SkctlResult create_branch_at(const std::string& name, const std::string& parent) {
    SkctlResult r;
    poll_until(
        cluster_->node(0).process,
        [&] {
          r = skctl({"branch", "create", name, "--parent", parent});
          return r.exit_code != std::optional<int>(2);
        },
        std::chrono::seconds(30));
    return r;
  }

  // A compute (or replica) on `branch`; its libpq connection string.
  std::string start(const std::string& kind, const std::string& branch) {
    const std::uint16_t port = free_port();
    const SkctlResult r =
        skctl({kind, "start", "--branch", branch, "--pgdata",
               (dir_.path() / (kind + "-" + branch)).string(), "--port", std::to_string(port)});
    EXPECT_EQ(r.exit_code, std::optional<int>(0)) << r.output;
    return "host=127.0.0.1 port=" + std::to_string(port) + " user=postgres dbname=postgres";
  }

  // The rows of table t, comma-separated in order.
  static std::string rows(PgSession& session) {
    return session.query("SELECT coalesce(string_agg(v, ',' ORDER BY v), '') FROM t")
        .value_or("<error: " + session.error() + ">");
  }

  // The moment after everything committed so far, in RFC 3339 (UTC).
  static std::string now_rfc3339(PgSession& session) {
    return session
        .query(
            "SELECT to_char(clock_timestamp() AT TIME ZONE 'UTC', "
            "'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"')")
        .value_or("");
  }

  // Waits until every safekeeper reports the branch's head at or past `lsn`.
  bool head_reaches(const std::string& branch, Lsn lsn) {
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
};

TEST_F(BranchComputeTest, TimeTravelThreeLevelsDeep_EachComputeSeesExactlyItsHistory) {
  ASSERT_EQ(skctl({"tenant", "create", "t", "--tenant-id", kTenant}).exit_code, 0);
  ASSERT_EQ(skctl({"branch", "create", "main"}).exit_code, 0);
  PgSession main(start("compute", "main"));  // initdb: a new database.
  ASSERT_TRUE(main.ok()) << main.error();
  const SkctlResult snapshot = skctl({"snapshot", "create", "--branch", "main"});
  ASSERT_EQ(snapshot.exit_code, 0) << snapshot.output;

  ASSERT_TRUE(main.query("CREATE TABLE t (v text)")) << main.error();
  ASSERT_TRUE(main.query("INSERT INTO t VALUES ('a')")) << main.error();
  const std::string t1 = now_rfc3339(main);
  ASSERT_TRUE(main.query("INSERT INTO t VALUES ('b')")) << main.error();

  // b1: main as of t1.
  const SkctlResult b1_created = create_branch_at("b1", "main@" + t1);
  ASSERT_EQ(b1_created.exit_code, 0) << b1_created.output;
  PgSession b1(start("compute", "b1"));
  ASSERT_TRUE(b1.ok()) << b1.error();
  EXPECT_EQ(rows(b1), "a");
  ASSERT_TRUE(b1.query("INSERT INTO t VALUES ('c1')")) << b1.error();
  ASSERT_TRUE(main.query("INSERT INTO t VALUES ('d')")) << main.error();
  EXPECT_EQ(rows(main), "a,b,d");
  EXPECT_EQ(rows(b1), "a,c1");

  // b2: b1 at the LSN right after c1 committed.
  const Lsn after_c1 = Lsn::parse(b1.query("SELECT pg_current_wal_lsn()").value_or("")).value();
  ASSERT_TRUE(head_reaches("b1", after_c1));
  const std::string b1_head = text(call(0, "GET", branches_path() + "/b1").body, "head_lsn");
  ASSERT_EQ(skctl({"branch", "create", "b2", "--parent", "b1@" + b1_head}).exit_code, 0);
  ASSERT_TRUE(b1.query("INSERT INTO t VALUES ('c2')")) << b1.error();
  PgSession b2(start("compute", "b2"));
  ASSERT_TRUE(b2.ok()) << b2.error();
  EXPECT_EQ(rows(b2), "a,c1");

  // b3: b2 as of a moment between two of b2's own commits.
  ASSERT_TRUE(b2.query("INSERT INTO t VALUES ('e1')")) << b2.error();
  const std::string t2 = now_rfc3339(b2);
  ASSERT_TRUE(b2.query("INSERT INTO t VALUES ('e2')")) << b2.error();
  const SkctlResult b3_created = create_branch_at("b3", "b2@" + t2);
  ASSERT_EQ(b3_created.exit_code, 0) << b3_created.output;
  PgSession b3(start("compute", "b3"));
  ASSERT_TRUE(b3.ok()) << b3.error();
  EXPECT_EQ(rows(b3), "a,c1,e1");

  // Writes stay on their branch.
  ASSERT_TRUE(b3.query("INSERT INTO t VALUES ('f')")) << b3.error();
  EXPECT_EQ(rows(main), "a,b,d");
  EXPECT_EQ(rows(b1), "a,c1,c2");
  EXPECT_EQ(rows(b2), "a,c1,e1,e2");
  EXPECT_EQ(rows(b3), "a,c1,e1,f");

  const json::value listed = skctl_json({"branch", "list"});
  ASSERT_TRUE(listed.is_object());
  EXPECT_EQ(listed.at("branches").as_array().size(), 4U);
}

TEST_F(BranchComputeTest, AReplicaOnABranchFollowsThatBranchsCompute) {
  ASSERT_EQ(skctl({"tenant", "create", "t", "--tenant-id", kTenant}).exit_code, 0);
  ASSERT_EQ(skctl({"branch", "create", "main"}).exit_code, 0);
  PgSession main(start("compute", "main"));
  ASSERT_TRUE(main.ok()) << main.error();
  ASSERT_EQ(skctl({"snapshot", "create", "--branch", "main"}).exit_code, 0);
  ASSERT_TRUE(main.query("CREATE TABLE t (v text)")) << main.error();
  ASSERT_TRUE(main.query("INSERT INTO t VALUES ('on main')")) << main.error();
  const Lsn main_end = Lsn::parse(main.query("SELECT pg_current_wal_lsn()").value_or("")).value();
  ASSERT_TRUE(head_reaches("main", main_end));
  ASSERT_EQ(skctl({"branch", "create", "dev", "--parent", "main"}).exit_code, 0);

  // The replica starts before dev has any WAL of its own: it reads main's, composed.
  PgSession replica(start("replica", "dev"));
  ASSERT_TRUE(replica.ok()) << replica.error();
  EXPECT_EQ(replica.query("SELECT pg_is_in_recovery()"), "t");
  PgSession dev(start("compute", "dev"));
  ASSERT_TRUE(dev.ok()) << dev.error();
  ASSERT_TRUE(dev.query("INSERT INTO t VALUES ('on dev')")) << dev.error();
  ASSERT_TRUE(main.query("INSERT INTO t VALUES ('main only')")) << main.error();

  std::string seen;
  EXPECT_TRUE(poll_until(
      cluster_->node(0).process,
      [&] {
        seen = rows(replica);
        return seen == "on dev,on main";
      },
      std::chrono::seconds(60)))
      << "the replica shows: " << seen;
}

TEST_F(BranchComputeTest, RefusalsAreOneClearLine) {
  ASSERT_EQ(skctl({"tenant", "create", "t", "--tenant-id", kTenant}).exit_code, 0);
  ASSERT_EQ(skctl({"branch", "create", "main"}).exit_code, 0);
  const std::string conninfo = start("compute", "main");
  PgSession main(conninfo);
  ASSERT_TRUE(main.ok()) << main.error();
  ASSERT_TRUE(main.query("CREATE TABLE t (v text)")) << main.error();
  const Lsn end = Lsn::parse(main.query("SELECT pg_current_wal_lsn()").value_or("")).value();
  ASSERT_TRUE(head_reaches("main", end));

  // A second compute on the same branch, while the first runs.
  const SkctlResult second =
      skctl({"compute", "start", "--branch", "main", "--pgdata", (dir_.path() / "second").string(),
             "--port", std::to_string(free_port())});
  EXPECT_EQ(second.exit_code, 1);
  EXPECT_NE(second.output.find("already has a compute"), std::string::npos) << second.output;

  // A branch with no snapshot in its history.
  ASSERT_EQ(skctl({"branch", "create", "dev", "--parent", "main"}).exit_code, 0);
  const SkctlResult no_snapshot =
      skctl({"compute", "start", "--branch", "dev", "--pgdata", (dir_.path() / "dev").string(),
             "--port", std::to_string(free_port())});
  EXPECT_EQ(no_snapshot.exit_code, 1);
  EXPECT_NE(no_snapshot.output.find("no snapshot"), std::string::npos) << no_snapshot.output;

  // Unknown branch; connection strings.
  const SkctlResult unknown = skctl({"branch", "get", "nope"});
  EXPECT_EQ(unknown.exit_code, 1);
  EXPECT_EQ(unknown.output.rfind("skctl: error: ", 0), 0U) << unknown.output;
  const SkctlResult uri = skctl({"connection-string", "main"});
  EXPECT_EQ(uri.exit_code, 0);
  EXPECT_NE(uri.output.find("postgresql://postgres@127.0.0.1:"), std::string::npos);

  // No safekeeper reachable: exit 2.
  const SkctlResult unreachable = [&] {
    const fs::path log = dir_.path() / "unreachable.log";
    ChildProcess p =
        ChildProcess::spawn({SK_SKCTL_BIN, "--safekeepers",
                             "127.0.0.1:" + std::to_string(free_port()), "tenant", "list"},
                            log);
    return SkctlResult{p.wait_exit(kSkctlTimeout), file_text(log)};
  }();
  EXPECT_EQ(unreachable.exit_code, 2) << unreachable.output;
}

}  // namespace
}  // namespace sk::testing
