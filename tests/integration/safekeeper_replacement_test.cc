// Replacing a safekeeper under a real PostgreSQL primary (label `pg`): node 3's disk is lost
// while the primary commits one row per transaction through its walproposer, node 4 is started,
// and `skctl safekeeper add NODE4 --replacing 3` moves the timeline to {1,2,4} through the joint
// configuration. The walproposer follows both configurations without a restart and without
// breaking its replication stream; commits go on during the change; in the end nodes 1, 2 and 4
// hold the primary's WAL byte for byte up to its last commit.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <string>

#include <gtest/gtest.h>

#include "tests/integration/primary_fixture.h"

namespace sk::testing {
namespace {

using consensus::Lsn;
using Clock = std::chrono::steady_clock;

class SafekeeperReplacementTest : public PrimaryTest {
 protected:
  int cluster_size() const override { return 4; }
  bool last_node_is_a_spare() const override { return true; }
};

TEST_F(SafekeeperReplacementTest, PrimaryCommitsThroughTheChange_NewSetHoldsItsWal) {
  // The walproposer knows nodes 1 to 3 only, as it would have been started before node 4.
  ChildProcess walproposer =
      ChildProcess::spawn({walproposer_binary(), "--pgconn", postgres_->conninfo(), "--safekeepers",
                           first_nodes_flag(3), "--http",
                           http_address(0) + "," + http_address(1) + "," + http_address(2),
                           "--tenant", kTenant, "--timeline", kTimeline, "--slot", "walproposer"},
                          dir_.path() / "walproposer.log");
  PgSession session(postgres_->conninfo());
  ASSERT_TRUE(session.ok()) << session.error();
  ASSERT_TRUE(session.query("CREATE TABLE t (i int PRIMARY KEY, pad text)")) << session.error();
  int next = 0;
  // One row per transaction; its commit returns once a quorum holds it (a minute at most).
  auto insert_row = [&]() {
    ++next;
    return session.send("INSERT INTO t VALUES (" + std::to_string(next) + ", repeat('x', 2000))") &&
           session.wait_answer(std::chrono::seconds(60)) == std::optional<bool>(true);
  };
  for (int k = 0; k < 200; ++k) {
    ASSERT_TRUE(insert_row()) << session.error() << states();
  }

  // Node 3's disk is lost; node 4 is started in its place; the operator replaces 3 by 4 while
  // the primary keeps committing.
  cluster_->kill(2);
  std::filesystem::remove_all(cluster_->node(2).data_dir);
  ASSERT_TRUE(cluster_->start(3)) << cluster_->logs();
  std::string addresses = http_address(0) + "," + http_address(1) + "," + http_address(2);
  ChildProcess skctl = ChildProcess::spawn(
      {skctl_binary(), "--safekeepers", addresses, "--walproposer", walproposer_binary(), "--home",
       (dir_.path() / "skctl").string(), "safekeeper", "add", http_address(3), "--replacing", "3"},
      dir_.path() / "skctl.log");
  const auto began = Clock::now();
  const int rows_before = next;
  // Bounded: at most 20,000 rows or two minutes, whichever comes first.
  std::optional<int> skctl_exit;
  Clock::duration longest_commit{};
  while (!(skctl_exit = skctl.wait_exit(std::chrono::milliseconds(0))) &&
         next - rows_before < 20000 && Clock::now() - began < std::chrono::minutes(2)) {
    const auto sent = Clock::now();
    ASSERT_TRUE(insert_row()) << "row " << next << " during the change: " << session.error()
                              << states() << file_text(dir_.path() / "walproposer.log");
    longest_commit = std::max(longest_commit, Clock::now() - sent);
  }
  const int rows_during = next - rows_before;
  if (!skctl_exit) {
    skctl_exit = skctl.wait_exit(std::chrono::minutes(2));
  }
  ASSERT_EQ(skctl_exit, std::optional<int>(0))
      << file_text(dir_.path() / "skctl.log") << states() << cluster_->logs();
  const auto change_ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - began).count();
  for (int k = 0; k < 200; ++k) {
    ASSERT_TRUE(insert_row()) << session.error() << states();
  }
  EXPECT_TRUE(walproposer.running()) << file_text(dir_.path() / "walproposer.log");

  // Every node of the new set holds the primary's WAL up to its last commit, byte for byte.
  const auto end = Lsn::parse(session.query("SELECT pg_current_wal_insert_lsn()").value_or(""));
  ASSERT_TRUE(end.has_value());
  const Lsn start = lsn_field(*timeline(0), "start_lsn");
  ASSERT_TRUE(poll_until(
      walproposer,
      [&] { return flush_lsn(0) >= *end && flush_lsn(1) >= *end && flush_lsn(3) >= *end; },
      std::chrono::seconds(30)))
      << states();
  const std::string expected = primary_digest(start, *end);
  ASSERT_NE(expected, "");
  for (int i : {0, 1, 3}) {
    EXPECT_EQ(digest(i, start, *end), expected) << "node " << i + 1 << "\n" << states();
    EXPECT_EQ(configuration_at(i, timeline_path()), configuration_body(2, {0, 1, 3}))
        << "node " << i + 1;
  }
  const std::string log = file_text(dir_.path() / "walproposer.log");
  EXPECT_NE(log.find("configuration g1 {1,2,3} -> {1,2,4}"), std::string::npos) << log;
  EXPECT_NE(log.find("configuration g2 {1,2,4}"), std::string::npos) << log;
  EXPECT_EQ(log.find("lost the primary"), std::string::npos) << log;
  EXPECT_GT(rows_during, 0) << "no commit during the change";

  RecordProperty("change_ms", static_cast<int>(change_ms));
  RecordProperty("rows_during_change", rows_during);
  const auto longest_ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(longest_commit).count();
  RecordProperty("longest_commit_ms", static_cast<int>(longest_ms));
  std::printf(
      "replacement under a primary: skctl safekeeper add --replacing took %lld ms; %d one-row "
      "commits returned meanwhile, the slowest in %lld ms; the new set holds %llu bytes of WAL\n%s",
      static_cast<long long>(change_ms), rows_during, static_cast<long long>(longest_ms),
      static_cast<unsigned long long>(end->bytes_since(start)),
      file_text(dir_.path() / "skctl.log").c_str());
}

}  // namespace
}  // namespace sk::testing
