// What running on more than one machine needs of a node, on real processes: host names in
// --peers and --safekeepers, the advertised address, the Kubernetes probes and the access log in
// both log formats.
#include <fstream>
#include <string>

#include <boost/json.hpp>
#include <gtest/gtest.h>

#include "safekeeper/http/http_client.h"
#include "tests/integration/cluster_fixture.h"
#include "tests/support/temp_dir.h"

namespace sk::testing {
namespace {

namespace json = boost::json;

// Every line of `log` parsed as JSON; a line that is not an object fails the test.
std::vector<json::object> json_lines(const std::filesystem::path& log) {
  std::vector<json::object> out;
  std::ifstream in(log);
  for (std::string line; std::getline(in, line);) {
    boost::system::error_code ec;
    json::value value = json::parse(line, ec);
    EXPECT_FALSE(ec) << "not JSON: " << line;
    if (!ec && value.is_object()) {
      out.push_back(value.as_object());
    }
  }
  return out;
}

// The branch log commits through peers named by host name, and sk-loadgen commits through
// --safekeepers named the same way. "localhost" resolves to ::1 before 127.0.0.1 here, where
// the nodes do not listen: each connect tries every address the name has.
TEST(DeployTest, HostNamesInPeersAndSafekeepers_AreResolvedOnEveryConnect) {
  TempDir dir("sk_deploy");
  SafekeeperCluster cluster(dir.path(), 3, /*branch_log=*/true);
  cluster.name_nodes("localhost");
  for (int i = 0; i < 3; ++i) {
    ASSERT_TRUE(cluster.start(i)) << cluster.logs();
  }
  auto created =
      cluster.http(0, "POST", "/v1/tenants", std::string(R"({"tenant_id":")") + kTenant + R"("})");
  ASSERT_TRUE(created.has_value());
  ASSERT_EQ(created->status, 201) << json::serialize(created->body) << cluster.logs();
  auto status = cluster.http(2, "GET", "/v1/status");
  ASSERT_TRUE(status.has_value());
  const json::array& peers = status->body.at("peers").as_array();
  ASSERT_EQ(peers.size(), 3u);
  EXPECT_EQ(std::string(peers[0].at("proposer").as_string()),
            "localhost:" + std::to_string(cluster.node(0).proposer_port));

  ChildProcess loadgen = ChildProcess::spawn(
      {loadgen_binary(), "--safekeepers", cluster.safekeepers_flag(), "--http", cluster.http_flag(),
       "--tenant", kTenant, "--timeline", kTimeline, "--start-lsn", kStartLsn, "--proposer-id",
       "1000", "--bytes", "1048576", "--wait-all", "1"},
      dir.path() / "loadgen.log");
  ASSERT_EQ(loadgen.wait_exit(std::chrono::seconds(60)), std::optional<int>(0))
      << file_text(dir.path() / "loadgen.log") << cluster.logs();
  const auto summary = loadgen_summary(dir.path() / "loadgen.log");
  ASSERT_TRUE(summary.has_value());
  EXPECT_GE(lsn_field(*summary, "committed_lsn").bytes_since(lsn_field(*summary, "start_lsn")),
            1048576u);
}

// A peer named by a host that does not resolve is retried, not fatal: the other two carry the
// branch log. (The three first meet under good names: a new data directory serves only once
// both other nodes have recorded it, identity_check.h.)
TEST(DeployTest, APeerWhoseNameDoesNotResolve_IsRetriedWhileTheOthersCommit) {
  TempDir dir("sk_deploy");
  SafekeeperCluster cluster(dir.path(), 3);
  for (int i = 0; i < 3; ++i) {
    cluster.node(i).extra_flags = {"--peers", cluster.safekeepers_flag()};
    ASSERT_TRUE(cluster.start(i)) << cluster.logs();
  }
  for (int i = 0; i < 3; ++i) {
    ASSERT_TRUE(poll_until(
        cluster.node(i).process,
        [&] {
          auto ready = cluster.http(i, "GET", "/readyz");
          return ready.has_value() && ready->status == 200;
        },
        std::chrono::seconds(10)))
        << cluster.logs();
  }
  std::string peers;
  for (int i = 0; i < 3; ++i) {
    const std::string host = i == 2 ? "no-such-host.invalid" : "127.0.0.1";
    peers += (peers.empty() ? "" : ",") + std::to_string(i + 1) + "=" + host + ":" +
             std::to_string(cluster.node(i).proposer_port);
  }
  ASSERT_EQ(cluster.terminate(2), 0);
  for (int i = 0; i < 2; ++i) {
    ASSERT_EQ(cluster.terminate(i), 0);
    cluster.node(i).extra_flags = {"--peers", peers};
    ASSERT_TRUE(cluster.start(i)) << cluster.logs();
  }
  auto created =
      cluster.http(1, "POST", "/v1/tenants", std::string(R"({"tenant_id":")") + kTenant + R"("})");
  ASSERT_TRUE(created.has_value());
  EXPECT_EQ(created->status, 201) << json::serialize(created->body) << cluster.logs();
}

// /healthz and /readyz, and the advertised address in /v1/status. A node below its disk
// reserve is live but not ready, and says which check failed.
TEST(DeployTest, Probes_LiveAlways_ReadyOnlyWhenTheNodeCanTakeWrites) {
  TempDir dir("sk_deploy");
  SafekeeperCluster cluster(dir.path(), 2);
  cluster.node(0).extra_flags = {"--advertise", "sk-1.example.internal"};
  cluster.node(1).extra_flags = {"--disk-reserve", "1048576GiB"};
  ASSERT_TRUE(cluster.start(0)) << cluster.logs();
  ASSERT_TRUE(cluster.start(1)) << cluster.logs();

  auto live = cluster.http(0, "GET", "/healthz");
  ASSERT_TRUE(live.has_value());
  EXPECT_EQ(live->status, 200);
  auto ready = cluster.http(0, "GET", "/readyz");
  ASSERT_TRUE(ready.has_value());
  EXPECT_EQ(ready->status, 200) << json::serialize(ready->body);
  EXPECT_EQ(ready->body.at("ready"), json::value(true));
  auto status = cluster.http(0, "GET", "/v1/status");
  ASSERT_TRUE(status.has_value());
  EXPECT_EQ(std::string(status->body.at("advertised").at("proposer").as_string()),
            "sk-1.example.internal:" + std::to_string(cluster.node(0).proposer_port));
  EXPECT_EQ(std::string(status->body.at("advertised").at("http").as_string()),
            "sk-1.example.internal:" + std::to_string(cluster.node(0).http_port));

  live = cluster.http(1, "GET", "/healthz");
  ASSERT_TRUE(live.has_value());
  EXPECT_EQ(live->status, 200);
  ready = cluster.http(1, "GET", "/readyz");
  ASSERT_TRUE(ready.has_value());
  EXPECT_EQ(ready->status, 503) << json::serialize(ready->body);
  EXPECT_EQ(ready->body.at("ready"), json::value(false));
  EXPECT_NE(std::string(ready->body.at("checks").at("disk").as_string()), "ok");
  EXPECT_EQ(std::string(ready->body.at("checks").at("timelines").as_string()), "ok");

  auto post = cluster.http(0, "POST", "/readyz");
  ASSERT_TRUE(post.has_value());
  EXPECT_EQ(post->status, 405);
}

// --log-format json: every line the daemon writes is one JSON object, and each HTTP request
// gets one access line with its method, route (ids replaced), status, duration and request id.
TEST(DeployTest, JsonLogFormat_EveryLineIsJson_WithOneAccessLinePerRequest) {
  TempDir dir("sk_deploy");
  SafekeeperCluster cluster(dir.path(), 1);
  cluster.node(0).extra_flags = {"--log-format", "json"};
  ASSERT_TRUE(cluster.start(0)) << cluster.logs();
  const std::string target = std::string("/v1/tenants/") + kTenant + "/timelines/" + kTimeline;
  auto missing = cluster.http(0, "GET", target, "", {{"X-Request-ID", "deploy-test-1"}});
  ASSERT_TRUE(missing.has_value());
  EXPECT_EQ(missing->status, 404);

  std::optional<json::object> access;
  ASSERT_TRUE(poll_until(
      cluster.node(0).process,
      [&] {
        for (const json::object& line : json_lines(cluster.node(0).log)) {
          const json::value* id = line.if_contains("request_id");
          if (id != nullptr && *id == "deploy-test-1") {
            access = line;
            return true;
          }
        }
        return false;
      },
      std::chrono::seconds(20)))
      << file_text(cluster.node(0).log);
  EXPECT_EQ(access->at("level"), "info");
  EXPECT_EQ(access->at("msg"), "http request");
  EXPECT_EQ(access->at("method"), "GET");
  EXPECT_EQ(access->at("route"), "/v1/tenants/{tenant}/timelines/{timeline}");
  EXPECT_EQ(access->at("status"), json::value(404));
  EXPECT_TRUE(access->at("duration_ms").is_number());
  EXPECT_TRUE(access->at("time").is_string());
  ASSERT_TRUE(cluster.terminate(0).has_value());
  const std::vector<json::object> lines = json_lines(cluster.node(0).log);
  EXPECT_GE(lines.size(), 3u);  // The start, the request, the stop at least.
}

}  // namespace
}  // namespace sk::testing
