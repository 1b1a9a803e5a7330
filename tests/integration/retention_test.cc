// History that ends: a tenant with a 2-minute history retention window, six minutes of pgbench on
// its main branch, with a standby's replication slot on node 0, a safekeeper down for longer
// than the window, and a child branch. What each holder keeps is kept, and nothing else:
//   * while node 3 is away, the peer horizon holds the others' WAL above what node 3 has, and
//     node 3 catches up from them when it returns;
//   * a branch older than the window is refused, naming it; one inside it is exact;
//   * once the slot is dropped and the child branches deleted, every node's WAL on disk is
//     within the window, plus a segment being written and one made ahead.
#include <chrono>

#include <signal.h>

#include "tests/integration/free_port.h"
#include "tests/integration/skctl_fixture.h"

namespace sk::testing {
namespace {

namespace fs = std::filesystem;
namespace json = boost::json;
using consensus::Lsn;
using Clock = std::chrono::steady_clock;

constexpr std::chrono::seconds kWindow{120};
constexpr std::chrono::seconds kRun{360};
constexpr std::uint64_t kSeg = 16 << 20;

class RetentionTest : public SkctlTest {
 protected:
  void SetUp() override {
    SkctlTest::SetUp();
    if (IsSkipped() || HasFatalFailure()) {
      return;
    }
    // The minimum window lowered for the test, and removal every second.
    for (int i = 0; i < 3; ++i) {
      ASSERT_EQ(cluster_->terminate(i), std::optional<int>(0)) << cluster_->logs();
      cluster_->node(i).extra_flags = {"--min-history-retention", "1m", "--wal-removal-interval",
                                       "1s"};
      ASSERT_TRUE(cluster_->start(i)) << cluster_->logs();
    }
  }

  std::string timeline_target() const {
    return std::string("/v1/tenants/") + kTenant + "/timelines/" + main_timeline_;
  }

  // Node i's view of main's timeline; a null object if it does not answer.
  json::value timeline_of(int i) {
    auto reply = cluster_->http(i, "GET", timeline_target());
    return reply && reply->status == 200 ? reply->body : json::value(json::object{});
  }
  static std::string held_by(const json::value& t) {
    const auto* h = t.as_object().if_contains("removal_horizon");
    return h != nullptr ? json::value_to<std::string>(h->at("held_by")) : "";
  }
  static Lsn horizon_lsn(const json::value& t) {
    const auto* h = t.as_object().if_contains("removal_horizon");
    return h != nullptr ? lsn_field(*h, "lsn") : Lsn();
  }
  static std::uint64_t bytes_on_disk(const json::value& t) {
    const auto* b = t.as_object().if_contains("wal_bytes_on_disk");
    return b != nullptr ? json::value_to<std::uint64_t>(*b) : 0;
  }

  ChildProcess pg_receivewal(int node, const std::vector<std::string>& extra,
                             const std::string& log_name) {
    const fs::path target = dir_.path() / "standby-wal";
    fs::create_directories(target);
    std::vector<std::string> argv = {
        (*postgres15_bindir() / "pg_receivewal").string(),
        "-d",
        "host=127.0.0.1 port=" + std::to_string(cluster_->node(node).pg_port) +
            " user=postgres options='-c tenant_id=" + kTenant +
            " -c timeline_id=" + main_timeline_ + "'",
        "-D",
        target.string(),
        "--no-loop",
        "--status-interval=1"};
    argv.insert(argv.end(), extra.begin(), extra.end());
    return ChildProcess::spawn(argv, dir_.path() / log_name);
  }

  // The LSN main's compute had written by `when`, from the samples taken each second.
  Lsn written_by(Clock::time_point when) const {
    Lsn lsn;
    for (const auto& [at, sampled] : samples_) {
      if (at <= when) {
        lsn = sampled;
      }
    }
    return lsn;
  }

  std::string main_timeline_;
  std::vector<std::pair<Clock::time_point, Lsn>> samples_;
};

TEST_F(RetentionTest, SixMinutesOfPgbench_DiskHoldsTheWindowAndWhatHoldersKeep) {
  ASSERT_EQ(skctl({"tenant", "create", "t", "--tenant-id", kTenant, "--history-retention", "2m"})
                .exit_code,
            std::optional<int>(0));
  ASSERT_EQ(skctl({"branch", "create", "main"}).exit_code, std::optional<int>(0));
  main_timeline_ =
      json::value_to<std::string>(skctl_json({"branch", "get", "main"}).at("timeline_id"));
  const std::uint16_t port = free_port();
  const SkctlResult started = skctl({"compute", "start", "--branch", "main", "--pgdata",
                                     (data_root() / "compute-main").string(), "--port",
                                     std::to_string(port), "--snapshot-every", "32MB"});
  ASSERT_EQ(started.exit_code, std::optional<int>(0)) << started.output;
  const std::string conninfo = conninfo_at(port);
  PgSession main(conninfo);
  ASSERT_TRUE(main.ok()) << main.error();
  ASSERT_TRUE(main.query("CREATE TABLE t (v text)")) << main.error();
  const fs::path pgbench = *postgres15_bindir() / "pgbench";
  ChildProcess init = ChildProcess::spawn({pgbench.string(), "-i", "-s", "2", "-q", conninfo},
                                          dir_.path() / "pgbench-init.log");
  ASSERT_EQ(init.wait_exit(std::chrono::minutes(2)), std::optional<int>(0))
      << file_text(dir_.path() / "pgbench-init.log");

  // The standby: a slot on node 0, streamed from all along.
  ChildProcess create = pg_receivewal(0, {"--create-slot", "--slot", "standby"}, "slot.log");
  ASSERT_EQ(create.wait_exit(std::chrono::seconds(30)), std::optional<int>(0))
      << file_text(dir_.path() / "slot.log");
  ChildProcess standby = pg_receivewal(0, {"--slot", "standby"}, "standby.log");
  ASSERT_GT(standby.pid(), 0);

  ChildProcess bench = ChildProcess::spawn({pgbench.string(), "-c", "2", "-R", "200", "-T",
                                            std::to_string(kRun.count()), "-n", conninfo},
                                           dir_.path() / "pgbench.log");
  ASSERT_GT(bench.pid(), 0);
  const Clock::time_point begin = Clock::now();
  bool node3_down = false;
  bool node3_back = false;
  bool child_made = false;
  bool as_of_checked = false;
  Lsn node3_left_at;  // What node 3 held when it stopped: its flush LSN when it starts again.
  json::value away;
  while (bench.running()) {
    // Paced by the clock: one round a second, or sooner if pgbench ends.
    const Clock::time_point round = Clock::now();
    samples_.emplace_back(round, current_lsn(main));
    const auto elapsed = round - begin;
    if (!node3_down && elapsed > std::chrono::seconds(20)) {
      ASSERT_EQ(cluster_->terminate(2), std::optional<int>(0)) << cluster_->logs();
      node3_down = true;
    }
    if (node3_down && !node3_back &&
        elapsed > std::chrono::seconds(20) + kWindow + std::chrono::seconds(20)) {
      away = timeline_of(0);  // Node 3 has been away longer than the window.
      ASSERT_TRUE(cluster_->start(2)) << cluster_->logs();
      // Its start-up line "timeline T/TL: term N, flush X, commit Y" says what it held. (Node
      // 1's commit LSN read after the stop is no bound: node 1 learns of commits a round late.)
      const std::string timeline_id = text(away, "timeline_id");
      const std::string log = file_text(cluster_->node(2).log);
      const std::size_t line = log.rfind(timeline_id + ": term ");
      ASSERT_NE(line, std::string::npos) << log;
      const std::size_t flush = log.find(", flush ", line) + 8;
      node3_left_at = Lsn::parse(log.substr(flush, log.find(',', flush) - flush)).value_or(Lsn());
      ASSERT_GT(node3_left_at, Lsn()) << log.substr(line, 200);
      node3_back = true;
    }
    if (!child_made && elapsed > std::chrono::seconds(200)) {
      ASSERT_EQ(skctl({"branch", "create", "child", "--parent", "main"}).exit_code,
                std::optional<int>(0));
      child_made = true;
    }
    if (!as_of_checked && elapsed > std::chrono::seconds(290)) {
      ASSERT_TRUE(main.query("INSERT INTO t VALUES ('x')")) << main.error();
      const std::string t = now_rfc3339(main);
      ASSERT_TRUE(main.query("INSERT INTO t VALUES ('y')")) << main.error();
      ASSERT_TRUE(head_reaches("main", current_lsn(main)));
      const SkctlResult inside = create_branch_at("as-of", "main@" + t);
      ASSERT_EQ(inside.exit_code, std::optional<int>(0)) << inside.output;
      const std::string too_old =
          main.query(
                  "SELECT to_char((clock_timestamp() - interval '3 minutes') AT TIME ZONE "
                  "'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"')")
              .value_or("");
      const SkctlResult refused = create_branch_at("too-old", "main@" + too_old);
      EXPECT_NE(refused.exit_code, std::optional<int>(0)) << refused.output;
      EXPECT_NE(refused.output.find("older than the history retention window of tenant"),
                std::string::npos)
          << refused.output;
      as_of_checked = true;
    }
    bench.wait_exit(std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::seconds(1) -
                                                                          (Clock::now() - round)));
  }
  ASSERT_EQ(bench.wait_exit(std::chrono::seconds(0)), std::optional<int>(0))
      << file_text(dir_.path() / "pgbench.log");
  ASSERT_TRUE(node3_back && child_made && as_of_checked);
  // While node 3 was away the peer horizon stayed below what it held, and node 1 kept all the
  // WAL above it, though the window had moved past (the horizon names the lowest holder).
  EXPECT_LE(lsn_field(away, "truncate_lsn"), node3_left_at) << json::serialize(away);
  EXPECT_LE(lsn_field(away, "wal_kept_from"), lsn_field(away, "truncate_lsn"))
      << json::serialize(away);
  EXPECT_LE(horizon_lsn(away), lsn_field(away, "truncate_lsn")) << json::serialize(away);

  // Node 3 caught up from the others: they kept what it missed.
  const Lsn head = current_lsn(main);
  ASSERT_TRUE(head_reaches("main", head)) << states();

  // The branch inside the window is exact: 'x' committed by then, 'y' after.
  PgSession as_of(start("compute", "as-of"));
  ASSERT_TRUE(as_of.ok()) << as_of.error();
  EXPECT_EQ(rows(as_of), "x");

  // The slot and the children still hold node 0's WAL below the window.
  const std::string holding = held_by(timeline_of(0));
  EXPECT_TRUE(holding.find("slot") != std::string::npos ||
              holding.find("child") != std::string::npos ||
              holding.find("as-of") != std::string::npos)
      << holding;

  // Let them go: the standby stops and its slot is dropped, the children are deleted.
  standby.signal(SIGTERM);
  standby.wait_exit(std::chrono::seconds(30));
  ChildProcess drop = pg_receivewal(0, {"--drop-slot", "--slot", "standby"}, "drop.log");
  ASSERT_EQ(drop.wait_exit(std::chrono::seconds(30)), std::optional<int>(0))
      << file_text(dir_.path() / "drop.log");
  ASSERT_EQ(skctl({"compute", "stop", "--branch", "as-of"}).exit_code, std::optional<int>(0));
  ASSERT_EQ(skctl({"branch", "delete", "as-of"}).exit_code, std::optional<int>(0));
  ASSERT_EQ(skctl({"branch", "delete", "child"}).exit_code, std::optional<int>(0));

  // Every node frees what only they held: its WAL on disk is what the window keeps, or main's
  // newest snapshot where that reaches further back (main's next start replays from it), plus
  // the segment being written and the one made ahead.
  for (int i = 0; i < 3; ++i) {
    SCOPED_TRACE("node " + std::to_string(i + 1));
    json::value t;
    Lsn floor;
    const bool freed = poll_until(
        cluster_->node(i).process,
        [&] {
          t = timeline_of(i);
          floor = written_by(Clock::now() - kWindow - std::chrono::seconds(20));
          const std::string holder = held_by(t);
          if (holder.starts_with("snapshot ") && holder.ends_with("(branch 'main')")) {
            floor = std::min(floor, horizon_lsn(t));
          } else if (!holder.starts_with("retention") && holder != "not yet committed") {
            return false;  // Still the slot, a child, or a peer.
          }
          const Lsn flush = lsn_field(t, "flush_lsn");
          return flush > floor && bytes_on_disk(t) <= flush.bytes_since(floor) + 2 * kSeg;
        },
        std::chrono::seconds(60));
    EXPECT_TRUE(freed) << json::serialize(t) << " window floor " << floor.to_string();
    // The WAL written when pgbench began is gone from this node.
    EXPECT_GT(lsn_field(t, "wal_kept_from"), written_by(begin)) << json::serialize(t);
  }
  EXPECT_EQ(rows(main), "x,y");  // Main itself lost nothing.
}

}  // namespace
}  // namespace sk::testing
