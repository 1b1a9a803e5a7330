// Limits that keep commits flowing: a peer address over its connection limit has the excess
// closed as it arrives, a proposer connection that never greets is closed after the greeting
// timeout, silent clients on every port after the idle timeout, and a safekeeper out of
// descriptors pauses accepting instead of spinning, then serves again once descriptors are
// back; readers that stall on a WAL segment are dropped after the HTTP write timeout.
// sk-loadgen commits meanwhile. Idle clients come from 127.0.0.2 (loopback too), so that the
// per-address limit leaves 127.0.0.1 alone.
#include <cerrno>
#include <chrono>
#include <fstream>
#include <sstream>

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include "proto/codec.h"
#include "safekeeper/http/http_client.h"
#include "tests/integration/cluster_fixture.h"

namespace sk::testing {
namespace {

using namespace std::chrono_literals;

// A TCP connection from 127.0.0.2 to 127.0.0.1:port that sends nothing; -1 if it failed. With
// `receive_buffer`, its receive buffer is made that small first.
int idle_connection(std::uint16_t port, int receive_buffer = 0) {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (receive_buffer > 0) {
    ::setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &receive_buffer, sizeof receive_buffer);
  }
  sockaddr_in local{};
  local.sin_family = AF_INET;
  local.sin_addr.s_addr = htonl(0x7f000002);
  sockaddr_in remote{};
  remote.sin_family = AF_INET;
  remote.sin_port = htons(port);
  remote.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::bind(fd, reinterpret_cast<sockaddr*>(&local), sizeof local) != 0 ||
      ::connect(fd, reinterpret_cast<sockaddr*>(&remote), sizeof remote) != 0) {
    ::close(fd);
    return -1;
  }
  return fd;
}

// A client from 127.0.0.2 that asks node `port` for a WAL segment and never reads the answer:
// its receive buffer is small, so the server's write stalls at once. -1 if it failed.
int stalled_wal_reader(std::uint16_t port, const std::string& segment_path) {
  const int fd = idle_connection(port, 4096);
  const std::string request = "GET " + segment_path + " HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n";
  if (fd >= 0 && ::send(fd, request.data(), request.size(), MSG_NOSIGNAL) !=
                     static_cast<ssize_t>(request.size())) {
    ::close(fd);
    return -1;
  }
  return fd;
}

// Whether the server closed `fd`, without waiting: what it sent before is read and dropped
// until the end of the stream (closed) or nothing more to read yet (open).
bool closed_by_server(int fd) {
  char buffer[4096];
  for (;;) {
    const ssize_t n = ::recv(fd, buffer, sizeof buffer, MSG_DONTWAIT);
    if (n == 0) {
      return true;
    }
    if (n < 0) {
      return errno == ECONNRESET;
    }
  }
}

class LimitsTest : public ClusterTest {
 protected:
  void SetUp() override {}  // Each test starts the cluster with its own flags for node 0.

  void start_cluster(std::vector<std::string> node0_flags,
                     std::vector<std::string> node0_launcher = {}) {
    cluster_.emplace(dir_.path(), 3);
    cluster_->node(0).extra_flags = std::move(node0_flags);
    cluster_->node(0).launcher = std::move(node0_launcher);
    for (int i = 0; i < 3; ++i) {
      ASSERT_TRUE(cluster_->start(i)) << cluster_->logs();
    }
  }

  void TearDown() override {
    for (int fd : idle_) {
      ::close(fd);
    }
  }

  // Polls `condition` every 20 ms for up to `timeout` (paced by waiting on node 0's exit).
  bool wait_until(const std::function<bool()>& condition, std::chrono::milliseconds timeout) {
    return poll_until(cluster_->node(0).process, condition, timeout);
  }

  int count_closed() {
    int closed = 0;
    for (int fd : idle_) {
      closed += closed_by_server(fd);
    }
    return closed;
  }

  // A counter of node 0's /metrics with its labels, e.g. `name{port="proposer"}`; -1 if absent.
  double metric(const std::string& sample) {
    auto reply = http::http_request("127.0.0.1:" + std::to_string(cluster_->node(0).http_port),
                                    "GET", "/metrics", "", 10s);
    if (!reply || reply->status != 200) {
      return -1;
    }
    std::istringstream lines(reply->body);
    for (std::string line; std::getline(lines, line);) {
      if (line.rfind(sample + " ", 0) == 0) {
        return std::stod(line.substr(sample.size() + 1));
      }
    }
    return -1;
  }

  // sk-loadgen commits 1 MiB through every node, node 0 included.
  void commit_meanwhile(const std::string& log) {
    ChildProcess loadgen = start_loadgen({"--bytes", "1048576", "--wait-all", "1"}, log);
    ASSERT_EQ(loadgen.wait_exit(60s), 0) << file_text(dir_.path() / log) << cluster_->logs();
    expect_run_held_by(log, {0, 1, 2});
  }

  std::vector<int> idle_;
};

TEST_F(LimitsTest, PerAddressLimit_ClosesTheExcessAsItArrives_WhileOthersCommit) {
  start_cluster({"--max-connections-per-address", "16", "--greeting-timeout", "1h"});
  for (int i = 0; i < 40; ++i) {
    const int fd = idle_connection(cluster_->node(0).proposer_port);
    ASSERT_GE(fd, 0);
    idle_.push_back(fd);
  }
  ASSERT_TRUE(wait_until([&] { return count_closed() == 24; }, 30s))
      << count_closed() << " of 40 closed";
  EXPECT_EQ(metric(R"(safekeeper_connections_over_limit_total{port="proposer"})"), 24);
  commit_meanwhile("loadgen.log");
  // The 16 within the limit are still open: the limit closed only the excess.
  EXPECT_EQ(count_closed(), 24);
}

// Readers that ask for a 16 MiB segment and never read it: the WAL is read off the storage
// worker and the stalled writes wait on the I/O thread without blocking it, so commits go on;
// the write timeout then drops every one of them.
TEST_F(LimitsTest, StalledWalReaders_NeverHoldCommitsBack_AndAreDroppedAfterTheWriteTimeout) {
  start_cluster({"--http-write-timeout", "3s"});
  commit_meanwhile("before.log");  // Segment 1 now holds committed WAL.
  const auto open_http = [&] { return metric(R"(safekeeper_connections_open{port="http"})"); };
  for (int i = 0; i < 20; ++i) {
    const int fd = stalled_wal_reader(cluster_->node(0).http_port,
                                      timeline_path() + "/wal/000000010000000000000001");
    ASSERT_GE(fd, 0);
    idle_.push_back(fd);
  }
  // 21: the 20 readers and the connection asking for the metric.
  ASSERT_TRUE(wait_until([&] { return open_http() == 21; }, 30s)) << open_http();
  commit_meanwhile("during.log");
  ASSERT_TRUE(wait_until([&] { return open_http() == 1; }, 30s))
      << open_http() << " HTTP connections open";
  // The readers got part of a segment, not all of it: they were dropped, not served.
  for (int fd : idle_) {
    std::string received;
    char buffer[65536];
    for (ssize_t n; (n = ::recv(fd, buffer, sizeof buffer, MSG_DONTWAIT)) > 0;) {
      received.append(buffer, static_cast<std::size_t>(n));
    }
    EXPECT_EQ(received.rfind("HTTP/1.1 200 OK", 0), 0U) << received.substr(0, 200);
    EXPECT_LT(received.size(), std::size_t{16} << 20);
  }
}

// Clients that go silent are closed after --idle-timeout on every port: a proposer after its
// greeting, a replication reader that never finishes its start-up, an HTTP connection that
// never sends its request.
TEST_F(LimitsTest, SilentClientsOnEveryPort_AreClosedAfterTheIdleTimeout_WhileOthersCommit) {
  start_cluster({"--idle-timeout", "2s", "--greeting-timeout", "1h"});
  commit_meanwhile("before.log");  // The timeline exists now: a greeting for it is answered.
  const consensus::TimelineIdentity identity{
      .tenant_id = *consensus::TenantId::parse_hex(kTenant),
      .timeline_id = *consensus::TimelineId::parse_hex(kTimeline),
      .system_id = 7300000000000000001ULL,  // sk-loadgen's.
      .pg_version = 150000,
      .wal_seg_size_bytes = 16 * 1024 * 1024,
      .timeline_start_lsn = *consensus::Lsn::parse(kStartLsn)};
  const std::string greeting = proto::encode_length_prefixed_greeting(
      {identity.tenant_id, identity.timeline_id},
      consensus::ProposerGreeting{consensus::NodeId(77), identity}, "");
  const int proposer = idle_connection(cluster_->node(0).proposer_port);
  ASSERT_GE(proposer, 0);
  idle_.push_back(proposer);
  ASSERT_EQ(::send(proposer, greeting.data(), greeting.size(), MSG_NOSIGNAL),
            static_cast<ssize_t>(greeting.size()));
  for (const std::uint16_t port : {cluster_->node(0).pg_port, cluster_->node(0).http_port}) {
    const int fd = idle_connection(port);
    ASSERT_GE(fd, 0);
    idle_.push_back(fd);
  }
  commit_meanwhile("during.log");
  EXPECT_TRUE(wait_until([&] { return count_closed() == 3; }, 30s))
      << count_closed() << " of 3 closed" << cluster_->logs();
  EXPECT_NE(file_text(cluster_->node(0).log).find("no frame for 2000 ms"), std::string::npos);
}

TEST_F(LimitsTest, ProposerConnectionWithoutGreeting_IsClosedAfterTheTimeout) {
  start_cluster({"--greeting-timeout", "1s"});
  for (int i = 0; i < 5; ++i) {
    const int fd = idle_connection(cluster_->node(0).proposer_port);
    ASSERT_GE(fd, 0);
    idle_.push_back(fd);
  }
  EXPECT_TRUE(wait_until([&] { return count_closed() == 5; }, 30s))
      << count_closed() << " of 5 closed";
  commit_meanwhile("loadgen.log");
  EXPECT_NE(file_text(cluster_->node(0).log).find("no greeting for 1000 ms"), std::string::npos);
}

TEST_F(LimitsTest, OutOfDescriptors_AcceptingPausesAndServesAgainOnceTheyAreBack) {
  const std::string prlimit = find_program("prlimit");
  if (prlimit.empty()) {
    GTEST_SKIP() << "no prlimit program (util-linux) to start a safekeeper with few descriptors";
  }
  // 64 descriptors: the node needs about 20 of its own; 80 idle connections exhaust the rest.
  start_cluster({"--greeting-timeout", "1h"}, {prlimit, "--nofile=64:64"});
  for (int i = 0; i < 80; ++i) {
    const int fd = idle_connection(cluster_->node(0).proposer_port);
    ASSERT_GE(fd, 0);  // The kernel completes the handshake; accept() is what fails.
    idle_.push_back(fd);
  }
  ASSERT_TRUE(wait_until(
      [&] { return file_text(cluster_->node(0).log).find("cannot accept") != std::string::npos; },
      30s))
      << cluster_->logs();
  // A second of being out of descriptors: with a pause after each failure, a handful of
  // failures; a spinning accept loop would fail hundreds of thousands of times.
  EXPECT_FALSE(cluster_->node(0).process.wait_exit(1s));
  for (int fd : idle_) {
    ::close(fd);
  }
  idle_.clear();
  double failures = -1;
  ASSERT_TRUE(wait_until(
      [&] {
        failures = metric(R"(safekeeper_accept_failures_total{port="proposer"})");
        return failures >= 0;
      },
      30s))
      << cluster_->logs();
  EXPECT_GE(failures, 1);
  EXPECT_LT(failures, 200) << "accept() failures: the loop did not pause";
  commit_meanwhile("loadgen.log");
}

}  // namespace
}  // namespace sk::testing
