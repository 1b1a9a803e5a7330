// Three safekeepers on three hosts, across real network interfaces (label `pg`, root only):
// each safekeeper in a network namespace of its own with its own address and host name (sk1,
// sk2, sk3), a PostgreSQL 15 primary and its walproposer in a fourth (pg), all plugged into one
// bridge (netns_lab.h). The peers and the walproposer know the safekeepers by name only. One
// host's link is cut under load and commits go on; a second is cut and commits stop; when the
// links come back every acknowledged commit is there and all three hold the same WAL.
#include <chrono>
#include <cstdio>
#include <optional>

#include <gtest/gtest.h>

#include "tests/integration/netns_lab.h"
#include "tests/integration/primary_fixture.h"

namespace sk::testing {
namespace {

using consensus::Lsn;
using Clock = std::chrono::steady_clock;

constexpr int kPgHost = 3;

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
    lab_.emplace(std::vector<std::string>{"sk1", "sk2", "sk3", "pg"}, dir_.path());
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
      ASSERT_TRUE(cluster_->start(i)) << cluster_->logs();
    }
    postgres_.emplace(dir_.path(), bindir_);
    ASSERT_TRUE(postgres_->why().empty()) << postgres_->why();
    postgres_->set_launcher(lab_->exec_prefix(kPgHost));
    ASSERT_TRUE(postgres_->start()) << file_text(postgres_->log());
  }

  void TearDown() override {
    // Every process before the namespaces they run in.
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

  std::optional<NetnsLab> lab_;
  std::optional<NetnsLab::Inside> inside_;
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

}  // namespace
}  // namespace sk::testing
