// Three safekeepers on three hosts, across real network interfaces (label `pg`, root only):
// each safekeeper in a network namespace of its own with its own address and host name (sk1,
// sk2, sk3), a PostgreSQL 15 primary and its walproposer in a fourth (pg), all plugged into one
// bridge (netns_lab.h). The peers and the walproposer know the safekeepers by name only. One
// host's link is cut under load and commits go on; a second is cut and commits stop; when the
// links come back every acknowledged commit is there and all three hold the same WAL. And skctl
// on two compute hosts that share only the snapshot store (a path both see, as an NFS mount): a
// snapshot one host took starts a compute on the other.
#include <chrono>
#include <cstdio>
#include <optional>

#include <gtest/gtest.h>
#include <sys/stat.h>

#include "safekeeper/skctl/compute.h"
#include "safekeeper/skctl/endpoints.h"
#include "tests/integration/netns_lab.h"
#include "tests/integration/primary_fixture.h"

namespace sk::testing {
namespace {

using consensus::Lsn;
using Clock = std::chrono::steady_clock;

namespace fs = std::filesystem;

constexpr int kPgHost = 3;
constexpr int kOtherPgHost = 4;

double seconds_since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

class ThreeHostsTest : public PrimaryTest {
 protected:
  void SetUp() override {
    const auto bindir = postgres15_bindir();
    if (!bindir) {
      GTEST_SKIP() << "PostgreSQL 15 is not installed";
    }
    bindir_ = *bindir;
    lab_.emplace(std::vector<std::string>{"sk1", "sk2", "sk3", "pg", "pg2"}, dir_.path());
    if (!lab_->why().empty()) {
      GTEST_SKIP() << "skipped: " << lab_->why();
    }
    // This thread lives on the primary's host: its SQL and HTTP go over the lab's network.
    inside_.emplace(*lab_, kPgHost);
    ASSERT_TRUE(inside_->ok());
    cluster_.emplace(dir_.path(), 3, /*branch_log=*/true);
    for (int i = 0; i < 3; ++i) {
      SafekeeperCluster::Node& node = cluster_->node(i);
      node.host = lab_->address(i);
      node.name = "sk" + std::to_string(i + 1);
      node.launcher = lab_->exec_prefix(i);
      node.extra_flags = {"--insecure", "--advertise", node.name};
    }
    for (int i = 0; i < 3; ++i) {  // Once every node has its name: --peers lists them all.
      ASSERT_TRUE(cluster_->start(i)) << cluster_->logs();
    }
    if (with_primary()) {
      postgres_.emplace(dir_.path(), bindir_);
      ASSERT_TRUE(postgres_->why().empty()) << postgres_->why();
      postgres_->set_launcher(lab_->exec_prefix(kPgHost));
      ASSERT_TRUE(postgres_->start()) << file_text(postgres_->log());
    }
  }
  // The skctl test starts its own computes.
  virtual bool with_primary() const { return true; }

  void TearDown() override {
    // Every process before the namespaces they run in.
    stop_computes();
    postgres_.reset();
    cluster_.reset();
    inside_.reset();
    lab_.reset();
  }

  ChildProcess start_walproposer_on_pg_host() {
    std::vector<std::string> argv = lab_->exec_prefix(kPgHost);
    argv.insert(argv.end(),
                {walproposer_binary(), "--pgconn", postgres_->conninfo(), "--safekeepers",
                 cluster_->safekeepers_flag(), "--http", cluster_->http_flag(), "--tenant", kTenant,
                 "--timeline", kTimeline, "--slot", "walproposer"});
    return ChildProcess::spawn(argv, dir_.path() / "walproposer.log");
  }

  // skctl run on `host` with its own home, the shared snapshot store unless `store` is given.
  struct Run {
    std::optional<int> exit_code;
    std::string output;
  };
  Run skctl_on(int host, std::vector<std::string> args, const fs::path& store = {}) {
    static int run = 0;
    const fs::path log = dir_.path() / ("skctl-" + std::to_string(++run) + ".log");
    std::vector<std::string> argv = lab_->exec_prefix(host);
    argv.insert(argv.end(), {skctl_binary(), "--safekeepers", cluster_->http_flag(), "--home",
                             home(host).string(), "--snapshot-store",
                             (store.empty() ? shared_store() : store).string()});
    if (args.front() != "tenant") {
      argv.insert(argv.end(), {"--tenant", kTenant});
    }
    argv.insert(argv.end(), args.begin(), args.end());
    ChildProcess process = ChildProcess::spawn(argv, log);
    Run result{process.wait_exit(std::chrono::minutes(5)), ""};
    result.output = file_text(log);
    return result;
  }
  fs::path home(int host) const { return dir_.path() / ("home-" + std::to_string(host)); }
  fs::path shared_store() const { return dir_.path() / "shared-snapshots"; }

  void stop_computes() {
    for (int host : {kPgHost, kOtherPgHost}) {
      for (const skctl::Endpoint& e : skctl::Endpoints(home(host)).all()) {
        if (!skctl::stop_endpoint(skctl::LocalSettings{home(host), shared_store(), "", ""}, e)) {
          ADD_FAILURE() << "could not stop the " << e.kind << " of " << e.branch;
        }
      }
    }
  }

  std::optional<NetnsLab> lab_;
  std::optional<NetnsLab::Inside> inside_;
};

class ThreeHostsSkctlTest : public ThreeHostsTest {
 protected:
  bool with_primary() const override { return false; }
};

TEST_F(ThreeHostsTest, OneLinkDown_CommitsGoOn_TwoDown_TheyStop_Restored_AllConverge) {
  ChildProcess walproposer = start_walproposer_on_pg_host();
  ASSERT_GT(walproposer.pid(), 0);
  PgSession session(postgres_->conninfo());
  ASSERT_TRUE(session.ok()) << session.error();
  ASSERT_TRUE(session.query("CREATE TABLE t (i int, filler text)")) << session.error();
  int acknowledged = 0;
  auto commit = [&] {
    const bool ok =
        session
            .query("INSERT INTO t VALUES (" + std::to_string(acknowledged) + ", repeat('x', 200))")
            .has_value();
    acknowledged += ok ? 1 : 0;
    return ok;
  };
  // Bounded in count and in time: the commits one client gets through in `how_long`.
  auto commit_for_a_while = [&](int most, std::chrono::seconds how_long) {
    const auto start = Clock::now();
    int done = 0;
    while (done < most && Clock::now() - start < how_long) {
      if (!commit()) {
        break;
      }
      ++done;
    }
    return std::make_pair(done, seconds_since(start));
  };

  const auto [all_up, all_up_s] = commit_for_a_while(300, std::chrono::seconds(10));
  ASSERT_GT(all_up, 0) << session.error() << file_text(dir_.path() / "walproposer.log");

  // sk3's cable pulled: two of three still make a quorum. Longer than the walproposer's 3 s
  // peer timeout, so that it gives sk3 up and must find it again by name when it is back.
  ASSERT_TRUE(lab_->set_link(2, false)) << lab_->why();
  const auto [one_down, one_down_s] = commit_for_a_while(100000, std::chrono::seconds(6));
  EXPECT_GE(one_down_s, 6.0) << "commits stopped with one host cut off after " << one_down << ": "
                             << session.error() << file_text(dir_.path() / "walproposer.log");

  // sk2's too: no quorum, so a commit must not return (3 s is hundreds of round trips here).
  ASSERT_TRUE(lab_->set_link(1, false));
  ASSERT_TRUE(session.send("INSERT INTO t VALUES (-1, 'while two were cut off')"));
  EXPECT_EQ(session.wait_answer(std::chrono::seconds(3)), std::nullopt);

  // Both back: the waiting commit returns, then all three converge on the primary's WAL.
  const auto restored = Clock::now();
  ASSERT_TRUE(lab_->set_link(1, true));
  ASSERT_TRUE(lab_->set_link(2, true));
  ASSERT_EQ(session.wait_answer(std::chrono::seconds(60)), std::optional<bool>(true))
      << states() << file_text(dir_.path() / "walproposer.log");
  const double quorum_back_s = seconds_since(restored);
  ++acknowledged;
  const auto end = Lsn::parse(session.query("SELECT pg_current_wal_insert_lsn()").value_or(""));
  ASSERT_TRUE(end.has_value());
  const Lsn start = Lsn::parse(kStartLsn).value();
  const std::string expected = primary_digest(start, *end);
  ASSERT_FALSE(expected.empty());
  const bool converged = poll_until(
      walproposer,
      [&] {
        for (int i = 0; i < 3; ++i) {
          if (flush_lsn(i) < *end || digest(i, start, *end) != expected) {
            return false;
          }
        }
        return true;
      },
      std::chrono::seconds(60));
  const double converged_s = seconds_since(restored);
  EXPECT_TRUE(converged) << states() << file_text(dir_.path() / "walproposer.log");

  // Nothing acknowledged is lost: every commit that returned is in the table.
  EXPECT_EQ(session.query("SELECT count(*) FROM t"),
            std::optional<std::string>(std::to_string(acknowledged)));
  EXPECT_TRUE(walproposer.running()) << file_text(dir_.path() / "walproposer.log");
  std::printf(
      "three hosts: %d commits in %.2f s with all links up, %d in %.2f s with sk3 cut off; "
      "with sk2 cut off too a commit waited; after both links came back it returned in %.2f s "
      "and all three held the primary's WAL (%s) in %.2f s\n",
      all_up, all_up_s, one_down, one_down_s, quorum_back_s, end->to_string().c_str(), converged_s);
}

// Snapshots across machines: skctl on host pg makes the tenant, starts main's compute (its
// first snapshot goes into the shared store) and writes rows; after it stops, skctl on host pg2,
// with a home of its own and only the store in common, starts main there from that snapshot and
// the safekeepers' WAL. A host whose store does not hold the snapshot says so in one line.
TEST_F(ThreeHostsSkctlTest, ASnapshotTakenOnOneHost_StartsAComputeOnAnother) {
  ::chmod(dir_.path().c_str(), 0755);  // PostgreSQL runs as postgres and must reach its dirs.
  fs::create_directories(shared_store());
  Run made = skctl_on(kPgHost, {"tenant", "create", "t", "--tenant-id", kTenant});
  ASSERT_EQ(made.exit_code, 0) << made.output << cluster_->logs();
  made = skctl_on(kPgHost, {"branch", "create", "main"});
  ASSERT_EQ(made.exit_code, 0) << made.output;
  const int port = 5432;  // Each host has its own loopback: the same port on both.
  Run started =
      skctl_on(kPgHost, {"compute", "start", "--branch", "main", "--pgdata",
                         (dir_.path() / "pg-main").string(), "--port", std::to_string(port)});
  ASSERT_EQ(started.exit_code, 0) << started.output;
  const std::string conninfo =
      "host=127.0.0.1 port=" + std::to_string(port) + " user=postgres dbname=postgres";
  {
    ::setenv("PGPASSFILE", (home(kPgHost) / "pgpass").c_str(), 1);
    PgSession session(conninfo);  // This thread is on host pg.
    ASSERT_TRUE(session.ok()) << session.error();
    ASSERT_TRUE(session.query("CREATE TABLE t AS SELECT g FROM generate_series(1, 1000) g"))
        << session.error();
  }
  ASSERT_EQ(skctl_on(kPgHost, {"compute", "stop", "--branch", "main"}).exit_code, 0);
  const auto snapshots = skctl_on(kPgHost, {"snapshot", "list", "--output", "json"});
  ASSERT_EQ(snapshots.exit_code, 0) << snapshots.output;
  ASSERT_NE(snapshots.output.find(shared_store().string()), std::string::npos) << snapshots.output;

  // The tenant's password goes with it, as an operator copies a secret to a new machine.
  fs::create_directories(home(kOtherPgHost) / "passwords");
  ::chmod((home(kOtherPgHost) / "passwords").c_str(), 0700);
  fs::copy_file(home(kPgHost) / "passwords" / kTenant, home(kOtherPgHost) / "passwords" / kTenant);

  // pg2 with a store at another path (the share mounted elsewhere): one line, and no start.
  const fs::path local_store = dir_.path() / "pg2-local-snapshots";
  fs::create_directories(local_store);
  const Run unseen =
      skctl_on(kOtherPgHost,
               {"compute", "start", "--branch", "main", "--pgdata",
                (dir_.path() / "pg2-unseen").string(), "--port", std::to_string(port)},
               local_store);
  EXPECT_NE(unseen.exit_code, std::optional<int>(0)) << unseen.output;
  EXPECT_NE(unseen.output.find("must mount the same snapshot store at the same path"),
            std::string::npos)
      << unseen.output;

  // pg2 with it: main starts there from host pg's snapshot and holds every row.
  started =
      skctl_on(kOtherPgHost, {"compute", "start", "--branch", "main", "--pgdata",
                              (dir_.path() / "pg2-main").string(), "--port", std::to_string(port)});
  ASSERT_EQ(started.exit_code, 0) << started.output;
  inside_.reset();
  NetnsLab::Inside on_pg2(*lab_, kOtherPgHost);
  ASSERT_TRUE(on_pg2.ok());
  ::setenv("PGPASSFILE", (home(kOtherPgHost) / "pgpass").c_str(), 1);
  PgSession session(conninfo);
  ASSERT_TRUE(session.ok()) << session.error();
  EXPECT_EQ(session.query("SELECT count(*) FROM t"), std::optional<std::string>("1000"));
  ASSERT_TRUE(session.query("INSERT INTO t VALUES (1001)")) << session.error();
}

}  // namespace
}  // namespace sk::testing
