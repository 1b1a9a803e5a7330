// A compute is disposable: its data directory is a cache, the quorum of safekeepers the only
// durable copy. Computes run with quorum durability (fsync = off, full_page_writes = off), are
// killed under load (the whole PostgreSQL process group: a lost machine) and replaced through
// `skctl compute start`: every row whose commit returned is there, the indexes pass amcheck, new
// writes commit. Also: a PostgreSQL killed and restarted on the same directory (rebuilt, never
// trusted), a walproposer killed alone (commits wait, then resume), snapshots that clone and stay
// untouched, a damaged snapshot passed over, and a store that cannot clone.
#include <atomic>
#include <condition_variable>
#include <csignal>
#include <fstream>
#include <mutex>
#include <set>
#include <sstream>
#include <thread>

#include <unistd.h>

#include "safekeeper/skctl/clone_tree.h"
#include "safekeeper/skctl/endpoints.h"
#include "safekeeper/skctl/local_process.h"
#include "tests/integration/free_port.h"
#include "tests/integration/skctl_fixture.h"

namespace sk::testing {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

// Clients inserting rows into t, each commit on its own, until their server goes away (or a
// bound on count and time). Keeps the rows whose commit returned.
class Writers {
 public:
  Writers(const std::string& conninfo, const std::string& prefix, int clients) {
    for (int c = 0; c < clients; ++c) {
      threads_.emplace_back([this, conninfo, prefix, c] { write(conninfo, prefix, c); });
    }
  }
  ~Writers() { join(); }

  void join() {
    stop_ = true;
    for (std::thread& t : threads_) {
      if (t.joinable()) {
        t.join();
      }
    }
  }
  // Waits until `rows` commits returned, or `timeout` passed; the count then.
  std::size_t wait_for(std::size_t rows, std::chrono::milliseconds timeout) {
    std::unique_lock lock(mutex_);
    acknowledged_more_.wait_for(lock, timeout, [&] { return acknowledged_.size() >= rows; });
    return acknowledged_.size();
  }
  std::set<std::string> acknowledged() const {
    std::lock_guard lock(mutex_);
    return acknowledged_;
  }

 private:
  static constexpr int kMaxRowsPerClient = 20000;
  static constexpr auto kMaxTime = std::chrono::seconds(120);

  void write(const std::string& conninfo, const std::string& prefix, int client) {
    PgSession session(conninfo);
    const auto deadline = std::chrono::steady_clock::now() + kMaxTime;
    for (int n = 0; session.ok() && n < kMaxRowsPerClient && !stop_ &&
                    std::chrono::steady_clock::now() < deadline;
         ++n) {
      const std::string v = prefix + "-" + std::to_string(client) + "-" + std::to_string(n);
      if (!session.query("INSERT INTO t VALUES ('" + v + "')")) {
        return;  // The server is gone: this commit may or may not have happened.
      }
      std::lock_guard lock(mutex_);
      acknowledged_.insert(v);
      acknowledged_more_.notify_all();
    }
  }

  std::atomic<bool> stop_ = false;
  mutable std::mutex mutex_;
  std::condition_variable acknowledged_more_;
  std::set<std::string> acknowledged_;
  std::vector<std::thread> threads_;
};

class ComputeReplacementTest : public SkctlTest {
 protected:
  // The rows of t as a set.
  static std::set<std::string> row_set(PgSession& session) {
    const std::string all =
        session.query("SELECT coalesce(string_agg(v, ','), '') FROM t").value_or("");
    std::set<std::string> out;
    std::istringstream in(all);
    for (std::string v; std::getline(in, v, ',');) {
      out.insert(v);
    }
    return out;
  }

  // Every acknowledged row is in t, each btree index passes bt_index_check, and a new row commits.
  static void expect_whole(const std::string& conninfo, const std::set<std::string>& acknowledged,
                           const std::string& new_row) {
    PgSession session(conninfo);
    ASSERT_TRUE(session.ok()) << session.error();
    const std::set<std::string> present = row_set(session);
    std::size_t missing = 0;
    for (const std::string& v : acknowledged) {
      missing += present.contains(v) ? 0 : 1;
    }
    EXPECT_EQ(missing, 0U) << "of " << acknowledged.size() << " acknowledged rows";
    ASSERT_TRUE(session.query("CREATE EXTENSION IF NOT EXISTS amcheck")) << session.error();
    const auto checked = session.query(
        "SELECT count(bt_index_check(c.oid, true)) FROM pg_index i JOIN pg_class c ON "
        "c.oid = i.indexrelid JOIN pg_am a ON a.oid = c.relam WHERE a.amname = 'btree'");
    ASSERT_TRUE(checked.has_value()) << "amcheck: " << session.error();
    EXPECT_GT(std::stoi(*checked), 0);
    EXPECT_TRUE(session.query("INSERT INTO t VALUES ('" + new_row + "')")) << session.error();
  }

  // main's table t holding one row, 'a', and a branch dev of main at its head.
  void branch_dev_after_row_a(PgSession& main) {
    ASSERT_TRUE(main.query("CREATE TABLE t (v text PRIMARY KEY)")) << main.error();
    ASSERT_TRUE(main.query("INSERT INTO t VALUES ('a')")) << main.error();
    ASSERT_TRUE(head_reaches("main", current_lsn(main)));
    ASSERT_EQ(skctl({"branch", "create", "dev", "--parent", "main"}).exit_code, 0);
  }

  // SIGKILL to every process of the compute's PostgreSQL (skctl starts it in a group of its own),
  // and to its walproposer if `walproposer_too`.
  void kill_compute(const std::string& branch, bool walproposer_too) {
    const auto [postgres, walproposer] = compute_pids(branch);
    ASSERT_GT(postgres, 0);
    const pid_t group = ::getpgid(postgres);
    ASSERT_GT(group, 0);
    ASSERT_NE(group, ::getpgid(walproposer));
    ASSERT_EQ(::kill(-group, SIGKILL), 0);
    if (walproposer_too) {
      ASSERT_EQ(::kill(walproposer, SIGKILL), 0);
    }
  }

  static void wait_for_rows(Writers& writers, std::size_t rows) {
    ASSERT_GE(writers.wait_for(rows, 60s), rows);
  }
};

TEST_F(ComputeReplacementTest, LostMidLoad_EveryAcknowledgedRowSurvives_FourTimesInARow) {
  std::string conninfo = start_main();
  {
    PgSession main(conninfo);
    ASSERT_TRUE(main.ok()) << main.error();
    EXPECT_EQ(main.query("SHOW fsync"), "off");
    EXPECT_EQ(main.query("SHOW full_page_writes"), "off");
    ASSERT_TRUE(main.query("CREATE TABLE t (v text PRIMARY KEY)")) << main.error();
  }
  std::set<std::string> acknowledged;
  for (int loss = 1; loss <= 4; ++loss) {
    SCOPED_TRACE("loss " + std::to_string(loss));
    {
      Writers writers(conninfo, "loss" + std::to_string(loss), 4);
      wait_for_rows(writers, 200);
      // Lost while the clients write: PostgreSQL and its walproposer at once, and its disk.
      kill_compute("main", true);
      writers.join();
      const auto rows = writers.acknowledged();
      acknowledged.insert(rows.begin(), rows.end());
    }
    fs::remove_all(data_root() / ("main-" + std::to_string(loss - 1)));
    fs::remove_all(data_root() / "compute-main");
    const bool safekeeper_down = loss == 4;  // The last replacement runs on two of three.
    if (safekeeper_down) {
      cluster_->kill(2);
    }
    std::string output;
    conninfo = start("compute", "main", "main-" + std::to_string(loss), &output);
    ASSERT_FALSE(HasFailure()) << output;
    expect_whole(conninfo, acknowledged, "after-loss-" + std::to_string(loss));
    acknowledged.insert("after-loss-" + std::to_string(loss));
    if (safekeeper_down) {
      ASSERT_TRUE(cluster_->start(2)) << cluster_->logs();
    }
  }
}

TEST_F(ComputeReplacementTest, KilledAndStartedOnTheSameDirectory_ItIsRebuiltNotTrusted) {
  const std::string conninfo = start_main();
  {
    PgSession main(conninfo);
    ASSERT_TRUE(main.query("CREATE TABLE t (v text PRIMARY KEY)")) << main.error();
  }
  std::set<std::string> acknowledged;
  {
    Writers writers(conninfo, "before", 4);
    wait_for_rows(writers, 200);
    kill_compute("main", false);  // PostgreSQL only: its walproposer lives on.
    writers.join();
    acknowledged = writers.acknowledged();
  }
  std::string output;
  const std::string again = start("compute", "main", "compute-main", &output);
  ASSERT_FALSE(HasFailure());
  EXPECT_NE(output.find("rebuilding"), std::string::npos) << output;
  expect_whole(again, acknowledged, "after");

  // A clean stop, and the same directory is reused as it is: its WAL ends where the quorum's does.
  ASSERT_EQ(skctl({"compute", "stop", "--branch", "main"}).exit_code, 0);
  const std::string reused = start("compute", "main", "compute-main", &output);
  ASSERT_FALSE(HasFailure());
  EXPECT_EQ(output.find("rebuilding"), std::string::npos) << output;
  acknowledged.insert("after");
  expect_whole(reused, acknowledged, "after-clean-stop");
}

TEST_F(ComputeReplacementTest, WalproposerAloneKilled_CommitsWaitThenResume) {
  const std::string conninfo = start_main();
  PgSession main(conninfo);
  ASSERT_TRUE(main.query("CREATE TABLE t (v text PRIMARY KEY)")) << main.error();
  const auto [postgres, walproposer] = compute_pids("main");
  ASSERT_EQ(::kill(walproposer, SIGKILL), 0);

  PgSession writer(conninfo);
  ASSERT_TRUE(writer.send("INSERT INTO t VALUES ('waits')")) << writer.error();
  // The commit waits for the quorum (synchronous replication), not for anything local.
  EXPECT_TRUE(poll_until(
      cluster_->node(0).process,
      [&] {
        return main.query("SELECT count(*) FROM pg_stat_activity WHERE wait_event = 'SyncRep'") ==
               "1";
      },
      30s));
  EXPECT_EQ(writer.wait_answer(0ms), std::nullopt);

  std::string output;
  start("compute", "main", "compute-main", &output);
  EXPECT_NE(output.find("starting it again"), std::string::npos) << output;
  EXPECT_EQ(writer.wait_answer(60s), std::optional<bool>(true)) << writer.error();
  EXPECT_EQ(rows(main), "waits");
  EXPECT_EQ(compute_pids("main").first, postgres);  // The same PostgreSQL all along.
}

TEST_F(ComputeReplacementTest, SnapshotsCloneStayUntouchedAndADamagedOneIsPassedOver) {
  PgSession main(start_main());
  branch_dev_after_row_a(main);
  ASSERT_FALSE(HasFatalFailure());

  std::string output;
  PgSession dev(start("compute", "dev", "", &output));
  ASSERT_TRUE(dev.ok()) << dev.error() << output;
  if (store_is_mounted()) {  // Without root there is no XFS mount: the restore copies.
    EXPECT_EQ(output.find("cannot clone"), std::string::npos) << output;
  }
  EXPECT_EQ(rows(dev), "a");
  ASSERT_TRUE(dev.query("INSERT INTO t SELECT 'dev' || g FROM generate_series(1, 20000) g"));
  ASSERT_TRUE(dev.query("CHECKPOINT"));

  // The snapshot the compute was cloned from still matches its manifest, byte for byte.
  const boost::json::value listed = skctl_json({"snapshot", "list"});
  ASSERT_EQ(listed.at("snapshots").as_array().size(), 1U);
  const boost::json::object& first = listed.at("snapshots").as_array()[0].as_object();
  EXPECT_EQ(first.at("clone").as_string(), store_is_mounted() ? "yes" : "no (copied)");
  const std::string location(first.at("location").as_string());
  ChildProcess verify =
      ChildProcess::spawn({(*postgres15_bindir() / "pg_verifybackup").string(), "-n", location},
                          dir_.path() / "verify.log");
  EXPECT_EQ(verify.wait_exit(120s), std::optional<int>(0)) << file_text(dir_.path() / "verify.log");
  EXPECT_EQ(rows(main), "a");

  // A newer snapshot, damaged before its first use: the next compute passes it over.
  ASSERT_TRUE(main.query("INSERT INTO t VALUES ('b')")) << main.error();
  ASSERT_TRUE(head_reaches("main", current_lsn(main)));
  const SkctlResult second = skctl({"snapshot", "create", "--branch", "main"});
  ASSERT_EQ(second.exit_code, 0) << second.output;
  const auto snapshots = skctl_json({"snapshot", "list"}).at("snapshots").as_array();
  ASSERT_EQ(snapshots.size(), 2U);
  for (const auto& s : snapshots) {
    const fs::path where(std::string(s.at("location").as_string()));
    if (where != fs::path(location)) {
      std::ofstream(where / "PG_VERSION", std::ios::trunc) << "14\n";
    }
  }
  ASSERT_EQ(skctl({"branch", "create", "dev2", "--parent", "main"}).exit_code, 0);
  PgSession dev2(start("compute", "dev2", "", &output));
  ASSERT_TRUE(dev2.ok()) << dev2.error() << output;
  EXPECT_NE(output.find("is damaged"), std::string::npos) << output;
  EXPECT_NE(output.find("trying an older snapshot"), std::string::npos) << output;
  EXPECT_EQ(rows(dev2), "a,b");
}

TEST_F(ComputeReplacementTest, SnapshotsAreTakenEverySoManyBytesOfWal) {
  ASSERT_EQ(skctl({"tenant", "create", "t", "--tenant-id", kTenant}).exit_code, 0);
  ASSERT_EQ(skctl({"branch", "create", "main"}).exit_code, 0);
  const int port = free_port();
  const SkctlResult started =
      skctl({"compute", "start", "--branch", "main", "--pgdata", (data_root() / "main").string(),
             "--port", std::to_string(port), "--snapshot-every", "4MB"});
  ASSERT_EQ(started.exit_code, 0) << started.output;
  PgSession main(conninfo_at(port));
  ASSERT_TRUE(main.query("CREATE TABLE t (v text PRIMARY KEY)")) << main.error();
  ASSERT_TRUE(main.query("INSERT INTO t SELECT 'row' || g FROM generate_series(1, 100000) g"))
      << main.error();
  const consensus::Lsn written = current_lsn(main);

  // The first snapshot came with initdb; the agent takes more until less than 4 MB of WAL lie
  // past the newest.
  std::string seen;
  EXPECT_TRUE(poll_until(
      cluster_->node(0).process,
      [&] {
        const auto listed = skctl_json({"snapshot", "list"});
        if (!listed.is_object() || listed.at("snapshots").as_array().size() < 2) {
          return false;
        }
        const auto& newest = listed.at("snapshots").as_array().back();
        seen = std::string(newest.at("end_lsn").as_string());
        const auto end = consensus::Lsn::parse(seen);
        return end.has_value() && end->value() + (4U << 20) > written.value();
      },
      90s))
      << "newest snapshot ends at " << seen << ", WAL written to " << written.to_string()
      << "; agent log: "
      << file_text(home() / "endpoints" / std::to_string(port) / "snapshots.log");

  // A stop takes the agent with it.
  const int agent = [&] {
    for (const skctl::Endpoint& e : skctl::Endpoints(home()).all()) {
      return static_cast<int>(e.snapshot_agent_pid);
    }
    return 0;
  }();
  ASSERT_GT(agent, 0);
  ASSERT_EQ(skctl({"compute", "stop", "--branch", "main"}).exit_code, 0);
  EXPECT_FALSE(skctl::process_alive(agent));  // (A zombie until init reaps it counts as gone.)
}

// The store on a file system that cannot clone (the test directory's own, not the XFS mount).
class CopyingStoreTest : public ComputeReplacementTest {
 protected:
  bool clone_store() const override { return false; }
};

TEST_F(CopyingStoreTest, WithoutReflinksComputesStartFromACopyAndSaySo) {
  if (skctl::can_clone_within(dir_.path())) {
    GTEST_SKIP() << dir_.path() << " is on a file system that clones";
  }
  PgSession main(start_main());
  branch_dev_after_row_a(main);
  ASSERT_FALSE(HasFatalFailure());
  std::string output;
  PgSession dev(start("compute", "dev", "", &output));
  ASSERT_TRUE(dev.ok()) << dev.error() << output;
  EXPECT_NE(output.find("cannot clone files"), std::string::npos) << output;
  EXPECT_EQ(rows(dev), "a");
  const SkctlResult listed = skctl({"snapshot", "list"});
  EXPECT_NE(listed.output.find("no (copied)"), std::string::npos) << listed.output;
}

}  // namespace
}  // namespace sk::testing
