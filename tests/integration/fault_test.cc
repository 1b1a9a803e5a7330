// Integration tests of faults between and across the processes: network partitions through
// FaultProxy, a second proposer taking over, and all three safekeepers crashing at once.
#include <csignal>

#include <gtest/gtest.h>

#include "safekeeper/http/http_client.h"
#include "tests/integration/cluster_fixture.h"
#include "tests/integration/fault_proxy.h"

namespace sk::testing {
namespace {

using consensus::Lsn;
using namespace std::chrono_literals;

constexpr std::uint64_t kMiB = 1 << 20;

// Three proxies, one per safekeeper's proposer port, and the --safekeepers flag through them.
struct ProxiedLinks {
  explicit ProxiedLinks(SafekeeperCluster& cluster) {
    for (int i = 0; i < cluster.size(); ++i) {
      links.push_back(std::make_unique<FaultProxy>(cluster.node(i).proposer_port));
      flag += (flag.empty() ? "" : ",") + std::to_string(cluster.node(i).id) +
              "=127.0.0.1:" + std::to_string(links.back()->port());
    }
  }
  void heal_all() {
    for (auto& link : links) {
      link->heal();
    }
  }
  std::vector<std::unique_ptr<FaultProxy>> links;
  std::string flag;
};

TEST(FaultProxyTest, ForwardsDelaysDropsAndCuts) {
  TempDir dir("sk_proxy");
  SafekeeperCluster cluster(dir.path(), 1);
  ASSERT_TRUE(cluster.start(0)) << cluster.logs();
  FaultProxy proxy(cluster.node(0).http_port);
  auto get_status = [&] {
    return http::http_request("127.0.0.1:" + std::to_string(proxy.port()), "GET", "/v1/status", "",
                              std::chrono::seconds(2));
  };
  auto forwarded = get_status();
  ASSERT_TRUE(forwarded.has_value());
  EXPECT_EQ(forwarded->status, 200);

  proxy.delay(200ms);
  const auto before = std::chrono::steady_clock::now();
  auto delayed = get_status();
  ASSERT_TRUE(delayed.has_value());
  EXPECT_GE(std::chrono::steady_clock::now() - before, 400ms);  // There and back.

  proxy.drop();
  EXPECT_FALSE(get_status().has_value());  // Times out: nothing comes back.
  EXPECT_GT(proxy.stats().bytes_dropped, 0u);

  proxy.cut();
  const std::uint64_t accepted = proxy.stats().connections;
  EXPECT_FALSE(get_status().has_value());
  EXPECT_EQ(proxy.stats().connections, accepted);  // Reset at once, never forwarded.

  proxy.heal();
  auto healed = get_status();
  ASSERT_TRUE(healed.has_value());
  EXPECT_EQ(healed->status, 200);
}

TEST_F(ClusterTest, Partitions_MinorityCommitsNothingMajorityGoesOnAllConverge) {
  ProxiedLinks net(*cluster_);
  ChildProcess loadgen = start_loadgen(
      {"--seconds", "12", "--rate-mbps", "12", "--wait-all", "1", "--timeout-s", "240"},
      "loadgen.log", "1000", net.flag);
  const Lsn start = *Lsn::parse(kStartLsn);
  ASSERT_TRUE(poll_until(
      loadgen, [&] { return commit_lsn(2) >= start.plus_bytes(2 * kMiB); }, 60s))
      << file_text(dir_.path() / "loadgen.log") << states() << cluster_->logs();

  // The proposer reaches node 1 only: node 2's link is cut, node 3's silently loses everything.
  net.links[1]->cut();
  net.links[2]->drop();
  // It goes on streaming to node 1, but nothing beyond what nodes 2 and 3 hold is committed.
  auto majority_holds = [&] { return std::max(flush_lsn(1), flush_lsn(2)); };
  Lsn minority_end;
  ASSERT_TRUE(poll_until(
      loadgen,
      [&] {
        minority_end = flush_lsn(0);
        return minority_end >= majority_holds().plus_bytes(4 * kMiB);
      },
      60s))
      << cluster_->logs();
  EXPECT_LE(commit_lsn(0), majority_holds()) << "a minority committed";

  // Healed, everything node 1 took alone gets committed, and node 3 learns it.
  net.heal_all();
  ASSERT_TRUE(poll_until(
      loadgen, [&] { return commit_lsn(2) >= minority_end; }, 60s))
      << file_text(dir_.path() / "loadgen.log") << states() << cluster_->logs();

  // Nodes 2 and 3 go on without node 1, node 2 behind a slow link.
  net.links[0]->cut();
  net.links[1]->delay(20ms);
  Lsn node1_end;
  ASSERT_TRUE(poll_until(
      loadgen,
      [&] {
        node1_end = flush_lsn(0);
        return commit_lsn(2) >= node1_end.plus_bytes(4 * kMiB);
      },
      60s))
      << cluster_->logs();
  EXPECT_EQ(flush_lsn(0), node1_end) << "node 1 got WAL through a cut link";

  net.heal_all();
  ASSERT_EQ(loadgen.wait_exit(120s), std::optional<int>(0))
      << file_text(dir_.path() / "loadgen.log") << states() << cluster_->logs();
  auto summary = expect_run_held_by("loadgen.log", {0, 1, 2});
  ASSERT_TRUE(summary.has_value());
  EXPECT_GE(lsn_field(*summary, "committed_lsn"), node1_end.plus_bytes(4 * kMiB));
  EXPECT_GT(net.links[2]->stats().bytes_dropped, 0u);
}

TEST_F(ClusterTest, SecondProposerTakesOver_FirstIsFencedAndLosesNothing) {
  ChildProcess first =
      start_loadgen({"--seconds", "60", "--rate-mbps", "10", "--timeout-s", "90"}, "first.log");
  const Lsn start = *Lsn::parse(kStartLsn);
  ASSERT_TRUE(poll_until(
      first, [&] { return commit_lsn(0) >= start.plus_bytes(4 * kMiB); }, 60s))
      << file_text(dir_.path() / "first.log") << cluster_->logs();

  ChildProcess second =
      start_loadgen({"--bytes", std::to_string(8 * kMiB), "--wait-all", "1"}, "second.log", "2000");
  EXPECT_EQ(first.wait_exit(60s), std::optional<int>(3)) << "the first proposer was not fenced\n"
                                                         << file_text(dir_.path() / "first.log");
  ASSERT_EQ(second.wait_exit(120s), std::optional<int>(0))
      << file_text(dir_.path() / "second.log") << cluster_->logs();

  auto first_run = expect_run_held_by("first.log", {0, 1, 2});
  auto second_run = expect_run_held_by("second.log", {0, 1, 2});
  ASSERT_TRUE(first_run && second_run);
  EXPECT_TRUE(first_run->at("fenced").as_bool());
  EXPECT_NE(file_text(dir_.path() / "first.log").find("fenced"), std::string::npos);
  EXPECT_GT(second_run->at("term").as_int64(), first_run->at("term").as_int64());
  // The second term begins at or after everything the first had acknowledged.
  EXPECT_GE(lsn_field(*second_run, "start_lsn"), lsn_field(*first_run, "committed_lsn"));
}

TEST_F(ClusterTest, AllThreeKilledAtOnce_RecoverTheSameDataFlushPointsAndTerms) {
  ChildProcess loadgen = start_loadgen({"--bytes", std::to_string(48 * kMiB), "--rate-mbps", "16",
                                        "--wait-all", "1", "--timeout-s", "240"},
                                       "loadgen.log");
  const Lsn start = *Lsn::parse(kStartLsn);
  ASSERT_TRUE(poll_until(
      loadgen, [&] { return commit_lsn(0) >= start.plus_bytes(8 * kMiB); }, 60s))
      << cluster_->logs();
  auto kill_all_and_restart = [&] {
    for (int i = 0; i < 3; ++i) {
      cluster_->node(i).process.signal(SIGKILL);
    }
    for (int i = 0; i < 3; ++i) {
      ASSERT_TRUE(cluster_->node(i).process.wait_exit(30s).has_value());
    }
    for (int i = 0; i < 3; ++i) {
      ASSERT_TRUE(cluster_->start(i)) << cluster_->logs();
    }
  };
  // Under load: the proposer reconnects and finishes; nothing it was told is committed is lost.
  kill_all_and_restart();
  ASSERT_EQ(loadgen.wait_exit(120s), std::optional<int>(0))
      << file_text(dir_.path() / "loadgen.log") << states() << cluster_->logs();
  ASSERT_TRUE(expect_run_held_by("loadgen.log", {0, 1, 2}).has_value());

  // At rest: every node comes back with exactly what it had.
  struct Seen {
    std::string term, history, flush, commit, digest;
  };
  auto seen = [&](int i) {
    auto state = timeline(i);
    EXPECT_TRUE(state.has_value());
    if (!state) {
      return Seen{};
    }
    const Lsn flush = lsn_field(*state, "flush_lsn");
    return Seen{boost::json::serialize(state->at("term")),
                boost::json::serialize(state->at("term_history")), flush.to_string(),
                lsn_field(*state, "commit_lsn").to_string(), digest(i, start, flush)};
  };
  std::vector<Seen> before;
  for (int i = 0; i < 3; ++i) {
    before.push_back(seen(i));
  }
  kill_all_and_restart();
  for (int i = 0; i < 3; ++i) {
    const Seen after = seen(i);
    EXPECT_EQ(after.term, before[i].term) << "node " << i + 1;
    EXPECT_EQ(after.history, before[i].history) << "node " << i + 1;
    EXPECT_EQ(after.flush, before[i].flush) << "node " << i + 1;
    EXPECT_EQ(after.commit, before[i].commit) << "node " << i + 1;
    EXPECT_EQ(after.digest, before[i].digest) << "node " << i + 1;
    EXPECT_FALSE(after.digest.empty());
  }
}

}  // namespace
}  // namespace sk::testing
