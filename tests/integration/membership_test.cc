// Replacing a safekeeper under load, as an operator does it: node 3's disk is lost, node 4 is
// started and `skctl safekeeper add` brings it into every timeline (the branch log and
// sk-loadgen's) through a joint configuration, then `skctl safekeeper remove 3` takes node 3
// out. sk-loadgen, started knowing only nodes 1-3, follows each configuration (it learns node
// 4's address from it) and commits throughout; nothing it had acknowledged is lost, the new set
// holds exactly its WAL, and the branch log commits with node 4 in it. Also: bad configurations
// PUT over HTTP are refused and change nothing.
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <string>
#include <vector>

#include <boost/json.hpp>
#include <gtest/gtest.h>

#include "tests/integration/cluster_fixture.h"

namespace sk::testing {
namespace {

namespace json = boost::json;
using consensus::Lsn;
using Clock = std::chrono::steady_clock;

class MembershipTest : public ClusterTest {
 protected:
  // Nodes 1-3 form the cluster; node 4, the replacement, is started by the test.
  int cluster_size() const override { return 4; }
  bool last_node_is_a_spare() const override { return true; }

  // Node 3's disk is lost: killed, its data directory removed; node 4 is started in its place.
  void lose_node_3_start_node_4() {
    cluster_->kill(2);
    std::filesystem::remove_all(cluster_->node(2).data_dir);
    ASSERT_TRUE(cluster_->start(3)) << cluster_->logs();
  }
  // A run of `bytes` on nodes 1-3 that ends (nothing proposes on the timeline after it), then
  // node 3 lost and node 4 started.
  void idle_timeline_then_node_3_lost(std::uint64_t bytes) {
    ChildProcess loadgen = start_loadgen({"--bytes", std::to_string(bytes), "--wait-all", "1"},
                                         "loadgen.log", "1000", first_nodes_flag(3));
    ASSERT_EQ(loadgen.wait_exit(std::chrono::seconds(60)), std::optional<int>(0))
        << file_text(dir_.path() / "loadgen.log");
    lose_node_3_start_node_4();
  }
};

// "... caught up ... in N ms" lines of skctl's output, summed.
long long catch_up_ms(const std::string& output) {
  long long total = 0;
  std::size_t at = 0;
  while ((at = output.find(") in ", at)) != std::string::npos) {
    at += 5;
    total += std::stoll(output.substr(at));
  }
  return total;
}

TEST_F(MembershipTest, LostNodeReplacedUnderLoad_NothingAcknowledgedIsLost) {
  const std::string first_three = first_nodes_flag(3);
  ChildProcess loadgen =
      start_loadgen({"--bytes", std::to_string(40 << 20), "--rate-mbps", "4", "--wait-all", "1"},
                    "loadgen.log", "1000", first_three);
  const Lsn start = *Lsn::parse(kStartLsn);
  ASSERT_TRUE(poll_until(
      loadgen, [&] { return commit_lsn(0) >= start.plus_bytes(4 << 20); },
      std::chrono::seconds(60)))
      << file_text(dir_.path() / "loadgen.log") << states();

  ASSERT_NO_FATAL_FAILURE(lose_node_3_start_node_4());

  const auto add_began = Clock::now();
  ASSERT_EQ(run_skctl({0, 1, 2}, {"safekeeper", "add", http_address(3)}, "add.log"),
            std::optional<int>(0))
      << file_text(dir_.path() / "add.log") << states() << cluster_->logs();
  const auto add_ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - add_began).count();
  ASSERT_TRUE(loadgen.running()) << "the run ended before the change: no load during it";
  const Lsn added_at = commit_lsn(3);
  EXPECT_GE(added_at, start.plus_bytes(4 << 20)) << "node 4 counts before it caught up";

  const auto remove_began = Clock::now();
  ASSERT_EQ(run_skctl({0, 1, 3}, {"safekeeper", "remove", "3"}, "remove.log"),
            std::optional<int>(0))
      << file_text(dir_.path() / "remove.log") << states() << cluster_->logs();
  const auto remove_ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - remove_began).count();
  const Lsn removed_at = commit_lsn(0);

  ASSERT_EQ(loadgen.wait_exit(std::chrono::seconds(120)), std::optional<int>(0))
      << file_text(dir_.path() / "loadgen.log") << states();
  auto summary = expect_run_held_by("loadgen.log", {0, 1, 3});
  ASSERT_TRUE(summary.has_value());
  EXPECT_GT(lsn_field(*summary, "committed_lsn"), removed_at)
      << "nothing was committed under the new configuration";

  // Every node of the new set is at {1,2,4} on both timelines (generation 4: joint, {1,2,3,4},
  // joint, {1,2,4}), and the branch log commits through it.
  const std::string final_configuration = configuration_body(4, {0, 1, 3}, {});
  const std::string branch_log_path =
      "/v1/tenants/" + std::string(32, '0') + "/timelines/" + std::string(32, '0');
  for (int i : {0, 1, 3}) {
    EXPECT_EQ(configuration_at(i, timeline_path()), final_configuration) << "node " << i + 1;
    EXPECT_EQ(configuration_at(i, branch_log_path), final_configuration) << "node " << i + 1;
  }
  auto tenant = cluster_->http(3, "POST", "/v1/tenants", R"({"name": "after-replacement"})");
  ASSERT_TRUE(tenant.has_value());
  EXPECT_EQ(tenant->status, 201) << json::serialize(tenant->body);
  const std::string log = file_text(dir_.path() / "loadgen.log");
  EXPECT_NE(log.find("configuration g1 {1,2,3} -> {1,2,3,4}"), std::string::npos) << log;
  EXPECT_NE(log.find("configuration g4 {1,2,4}"), std::string::npos) << log;

  const std::string add_output = file_text(dir_.path() / "add.log");
  RecordProperty("add_ms", static_cast<int>(add_ms));
  RecordProperty("remove_ms", static_cast<int>(remove_ms));
  std::printf(
      "membership: skctl safekeeper add took %lld ms (node 4 caught up %llu bytes of "
      "the load's WAL; catch-up waits %lld ms in all), remove took %lld ms\n%s",
      static_cast<long long>(add_ms), static_cast<unsigned long long>(added_at.bytes_since(start)),
      catch_up_ms(add_output), static_cast<long long>(remove_ms), add_output.c_str());
}

TEST_F(MembershipTest, IdleTimeline_IsBroughtToTheNewMemberByASync) {
  ASSERT_NO_FATAL_FAILURE(idle_timeline_then_node_3_lost(2 << 20));

  ASSERT_EQ(
      run_skctl({0, 1, 2}, {"safekeeper", "add", http_address(3), "--replacing", "3"}, "add.log"),
      std::optional<int>(0))
      << file_text(dir_.path() / "add.log") << states() << cluster_->logs();
  // One joint step, {1,2,3} -> {1,2,4}; node 4 holds the whole run, which it got from the sync
  // skctl ran (its log is in skctl's home).
  expect_run_held_by("loadgen.log", {0, 1, 3});
  for (int i : {0, 1, 3}) {
    EXPECT_EQ(configuration_at(i, timeline_path()), configuration_body(2, {0, 1, 3}, {}))
        << "node " << i + 1;
  }
  const std::string sync_log = file_text(dir_.path() / "skctl" / "membership.log");
  EXPECT_NE(sync_log.find("configuration g1 {1,2,3} -> {1,2,4}"), std::string::npos) << sync_log;
  // Run again, it finds nothing to do.
  ASSERT_EQ(
      run_skctl({0, 1, 3}, {"safekeeper", "add", http_address(3), "--replacing", "3"}, "again.log"),
      std::optional<int>(0))
      << file_text(dir_.path() / "again.log");
  EXPECT_NE(file_text(dir_.path() / "again.log").find("already at g2 {1,2,4}"), std::string::npos)
      << file_text(dir_.path() / "again.log");
}

TEST_F(MembershipTest, AChangeStoppedAtTheJointConfiguration_IsFinishedByRunningItAgain) {
  ASSERT_NO_FATAL_FAILURE(idle_timeline_then_node_3_lost(1 << 20));
  // An earlier skctl stopped after setting the joint configuration (its machine went away).
  ASSERT_EQ(cluster_
                ->http(3, "POST", "/v1/tenants/" + std::string(kTenant) + "/timelines",
                       R"({"timeline_id": ")" + std::string(kTimeline) + R"(", "start_lsn": ")" +
                           kStartLsn + R"(", "system_id": "7300000000000000001"})")
                ->status,
            201);
  // Made by another tool: only the new member's address in it.
  const std::string joint =
      R"({"generation":1,"members":[1,2,3],"new_members":[1,2,4],"addresses":{"4":")" +
      proposer_address(3) + R"("}})";
  for (int i : {0, 1, 3}) {
    ASSERT_EQ(cluster_->http(i, "PUT", timeline_path() + "/configuration", joint)->status, 200);
  }

  ASSERT_EQ(
      run_skctl({0, 1, 2}, {"safekeeper", "add", http_address(3), "--replacing", "3"}, "add.log"),
      std::optional<int>(0))
      << file_text(dir_.path() / "add.log") << states() << cluster_->logs();
  expect_run_held_by("loadgen.log", {0, 1, 3});
  // Set again exactly as it was made: the addresses it had, no others.
  const std::string done =
      R"({"generation":2,"members":[1,2,4],"new_members":[],"addresses":{"4":")" +
      proposer_address(3) + R"("}})";
  for (int i : {0, 1, 3}) {
    EXPECT_EQ(configuration_at(i, timeline_path()), done) << "node " << i + 1;
  }
  EXPECT_NE(file_text(dir_.path() / "add.log").find("g1 {1,2,3} -> {1,2,4} -> g2 {1,2,4}"),
            std::string::npos)
      << file_text(dir_.path() / "add.log");
}

TEST_F(MembershipTest, BadConfigurations_AreRefusedAndChangeNothing) {
  ChildProcess loadgen = start_loadgen({"--bytes", std::to_string(1 << 20)}, "loadgen.log", "1000",
                                       first_nodes_flag(3));
  ASSERT_EQ(loadgen.wait_exit(std::chrono::seconds(60)), std::optional<int>(0))
      << file_text(dir_.path() / "loadgen.log");
  const std::string path = timeline_path() + "/configuration";
  ASSERT_EQ(cluster_->http(0, "PUT", path, configuration_body(2, {0, 1, 3}, {}))->status, 200);
  struct Case {
    std::string body;
    int status;
  };
  const Case cases[] = {
      {"{", 400},
      {R"({"generation": 3, "members": [2, 1]})", 400},
      {R"({"generation": 3, "members": [1], "addresses": {"9": "h:1"}})", 400},
      {configuration_body(1, {0, 1, 2}, {}), 412},  // A lower generation.
      {configuration_body(2, {0, 1, 2}, {}), 412},  // Another set under the same generation.
  };
  for (const Case& c : cases) {
    auto reply = cluster_->http(0, "PUT", path, c.body);
    ASSERT_TRUE(reply.has_value());
    EXPECT_EQ(reply->status, c.status) << c.body << ": " << json::serialize(reply->body);
  }
  auto unknown = cluster_->http(0, "PUT",
                                "/v1/tenants/" + std::string(kTenant) + "/timelines/" +
                                    std::string(32, 'f') + "/configuration",
                                configuration_body(3, {0}, {}));
  ASSERT_TRUE(unknown.has_value());
  EXPECT_EQ(unknown->status, 404);
  auto state = timeline(0);
  ASSERT_TRUE(state.has_value());
  EXPECT_EQ(json::serialize(state->at("configuration")), configuration_body(2, {0, 1, 3}, {}));
  // The same configuration again is fine (an operator's retry).
  EXPECT_EQ(cluster_->http(0, "PUT", path, configuration_body(2, {0, 1, 3}, {}))->status, 200);
}

}  // namespace
}  // namespace sk::testing
