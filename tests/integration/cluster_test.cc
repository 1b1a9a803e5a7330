// Integration tests on real processes: three safekeepers on 127.0.0.1 and sk-loadgen as the
// proposer. Every wait is on a condition with a deadline; every process is stopped by PID.
#include <csignal>
#include <cstdlib>
#include <fstream>
#include <map>
#include <random>

#include <arpa/inet.h>
#include <boost/json.hpp>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include "consensus/types.h"
#include "proto/codec.h"
#include "proto/framing.h"
#include "safekeeper/http/http_client.h"
#include "safekeeper/storage/wal_digest.h"
#include "tests/integration/cluster_fixture.h"
#include "tests/support/temp_dir.h"

namespace sk::testing {
namespace {

namespace json = boost::json;
using consensus::Lsn;

TEST_F(ClusterTest, LoadgenCommits_EveryNodeHoldsTheSameWal) {
  ChildProcess loadgen = start_loadgen({"--bytes", "33554432", "--wait-all", "1"}, "loadgen.log");
  const auto exit_code = loadgen.wait_exit(std::chrono::seconds(120));
  ASSERT_EQ(exit_code, std::optional<int>(0)) << file_text(dir_.path() / "loadgen.log");
  const auto summary = loadgen_summary(dir_.path() / "loadgen.log");
  ASSERT_TRUE(summary.has_value());
  const Lsn start = lsn_field(*summary, "start_lsn");
  const Lsn committed = lsn_field(*summary, "committed_lsn");
  EXPECT_GE(committed.bytes_since(start), 33554432u);
  const std::string expected(summary->at("digest").as_string());
  for (int i = 0; i < 3; ++i) {
    auto state = timeline(i);
    ASSERT_TRUE(state.has_value());
    EXPECT_GE(lsn_field(*state, "flush_lsn"), committed) << "node " << i + 1;
    EXPECT_GE(lsn_field(*state, "commit_lsn"), committed) << "node " << i + 1;
    EXPECT_EQ(state->at("term").as_int64(), summary->at("term").as_int64());
    EXPECT_EQ(digest(i, start, committed), expected) << "node " << i + 1;
  }
  // The metrics saw the work: bytes written and fdatasyncs counted.
  auto metrics = sk::http::http_request("127.0.0.1:" + std::to_string(cluster_->node(0).http_port),
                                        "GET", "/metrics", "", std::chrono::seconds(10));
  ASSERT_TRUE(metrics.has_value());
  EXPECT_NE(metrics->body.find("safekeeper_flush_wal_seconds_count "), std::string::npos);
  EXPECT_EQ(metrics->body.find("safekeeper_write_wal_bytes_total 0\n"), std::string::npos);
}

// /metrics, after some work, is what Prometheus's own linter accepts (names, types, units,
// histograms). promtool comes with Debian's prometheus package (tests/run.sh installs it).
TEST_F(ClusterTest, Metrics_PassPromtoolCheckMetrics) {
  if (::system("command -v promtool >/dev/null 2>&1") != 0) {
    GTEST_SKIP() << "promtool is not installed (apt-get install prometheus)";
  }
  ChildProcess loadgen = start_loadgen({"--bytes", "1048576", "--wait-all", "1"}, "loadgen.log");
  ASSERT_EQ(loadgen.wait_exit(std::chrono::seconds(60)), std::optional<int>(0))
      << file_text(dir_.path() / "loadgen.log");
  auto metrics = sk::http::http_request("127.0.0.1:" + std::to_string(cluster_->node(0).http_port),
                                        "GET", "/metrics", "", std::chrono::seconds(10));
  ASSERT_TRUE(metrics.has_value());
  ASSERT_EQ(metrics->status, 200);
  const auto exposition = dir_.path() / "metrics.txt";
  std::ofstream(exposition) << metrics->body;
  const auto report = dir_.path() / "promtool.log";
  ChildProcess check = ChildProcess::spawn(
      {"/bin/sh", "-c", "promtool check metrics < '" + exposition.string() + "'"}, report);
  EXPECT_EQ(check.wait_exit(std::chrono::seconds(30)), std::optional<int>(0))
      << file_text(report) << metrics->body;
}

// The WAL route restore_command uses: a segment file by name, exactly 16 MiB, the committed WAL
// in it and zeros after; 404 for anything else.
TEST_F(ClusterTest, WalSegmentRoute_ServesCommittedWalZeroFilledAndNothingElse) {
  ChildProcess loadgen = start_loadgen({"--bytes", "20000000", "--wait-all", "1"}, "loadgen.log");
  ASSERT_EQ(loadgen.wait_exit(std::chrono::seconds(120)), std::optional<int>(0))
      << file_text(dir_.path() / "loadgen.log");
  const auto summary = loadgen_summary(dir_.path() / "loadgen.log");
  ASSERT_TRUE(summary.has_value());
  const Lsn committed = lsn_field(*summary, "committed_lsn");
  ASSERT_GT(committed, Lsn(0x2000000));
  ASSERT_LT(committed, Lsn(0x3000000));
  const std::string http = "127.0.0.1:" + std::to_string(cluster_->node(1).http_port);
  auto get = [&](const std::string& name) {
    return sk::http::http_request(http, "GET", timeline_path() + "/wal/" + name, "",
                                  std::chrono::seconds(30));
  };
  auto digest_of = [](const std::string& bytes) {
    storage::WalDigest digest;
    digest.update({reinterpret_cast<const std::uint8_t*>(bytes.data()), bytes.size()});
    return digest.hex();
  };
  constexpr std::size_t kSeg = 16 * 1024 * 1024;

  // A whole committed segment.
  auto first = get("000000010000000000000001");
  ASSERT_TRUE(first.has_value());
  ASSERT_EQ(first->status, 200) << first->body.substr(0, 300);
  ASSERT_EQ(first->body.size(), kSeg);
  EXPECT_EQ(digest_of(first->body), digest(1, Lsn(0x1000000), Lsn(0x2000000)));

  // The last one: WAL up to the commit LSN, then zeros.
  auto last = get("000000010000000000000002");
  ASSERT_TRUE(last.has_value());
  ASSERT_EQ(last->status, 200);
  ASSERT_EQ(last->body.size(), kSeg);
  const std::size_t held = committed.bytes_since(Lsn(0x2000000));
  EXPECT_EQ(digest_of(last->body.substr(0, held)), digest(1, Lsn(0x2000000), committed));
  EXPECT_EQ(last->body.find_first_not_of('\0', held), std::string::npos);

  // Not held, or not a segment of ours: missing, as restore_command wants it.
  for (const char* name :
       {"000000010000000000000003", "000000010000000000000000", "000000020000000000000001",
        "00000002.history", "00000001000000000000000a", "000000010000000000000001.partial"}) {
    auto reply = get(name);
    ASSERT_TRUE(reply.has_value()) << name;
    EXPECT_EQ(reply->status, 404) << name << ": " << reply->body.substr(0, 200);
  }
}

// A frame on a raw connection to node 0's proposer port; returns what came back before EOF.
struct RawReply {
  std::vector<std::string> frames;
  bool closed = false;
};

RawReply exchange_frames(std::uint16_t port, const std::string& bytes) {
  RawReply reply;
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(port);
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  timeval timeout{10, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof(timeout));
  if (::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)) != 0 ||
      ::write(fd, bytes.data(), bytes.size()) != static_cast<ssize_t>(bytes.size())) {
    ::close(fd);
    return reply;
  }
  proto::FrameReader reader;
  char buffer[4096];
  for (;;) {
    const ssize_t n = ::read(fd, buffer, sizeof(buffer));
    if (n <= 0) {
      reply.closed = (n == 0);
      break;
    }
    reader.feed(std::string_view(buffer, static_cast<std::size_t>(n)));
    while (auto frame = reader.next()) {
      if (!frame->has_value()) {
        break;
      }
      reply.frames.emplace_back(**frame);
    }
  }
  ::close(fd);
  return reply;
}

consensus::TimelineIdentity identity(std::uint64_t system_id) {
  return {.tenant_id = *consensus::TenantId::parse_hex(kTenant),
          .timeline_id = *consensus::TimelineId::parse_hex(kTimeline),
          .system_id = system_id,
          .pg_version = 150000,
          .wal_seg_size_bytes = 16 * 1024 * 1024,
          .timeline_start_lsn = *Lsn::parse(kStartLsn)};
}

// The error a refusing server sent last, or "" if there was none.
std::string error_code_of(const RawReply& reply) {
  if (reply.frames.empty()) {
    return "";
  }
  auto decoded = proto::decode_frame_for_any_timeline(reply.frames.back());
  return decoded ? "" : std::string(error_code_name(decoded.error().code()));
}

TEST_F(ClusterTest, BadInputOnTheProposerPort_ClosesThatConnectionAndChangesNothing) {
  auto created = cluster_->http(0, "POST", std::string("/v1/tenants/") + kTenant + "/timelines",
                                std::string("{\"timeline_id\":\"") + kTimeline +
                                    "\",\"start_lsn\":\"" + kStartLsn + "\",\"system_id\":\"42\"}");
  ASSERT_TRUE(created.has_value());
  ASSERT_EQ(created->status, 201);
  const std::uint16_t port = cluster_->node(0).proposer_port;
  const proto::TimelineKey key{identity(42).tenant_id, identity(42).timeline_id};

  // A zero length prefix: refused before any body.
  RawReply zero = exchange_frames(port, std::string(4, '\0'));
  EXPECT_TRUE(zero.closed);
  EXPECT_EQ(error_code_of(zero), "MALFORMED_MESSAGE");
  // Bytes that are no Protobuf frame.
  RawReply garbage = exchange_frames(port, proto::length_prefixed("not a frame"));
  EXPECT_TRUE(garbage.closed);
  EXPECT_EQ(error_code_of(garbage), "MALFORMED_MESSAGE");
  // A first frame that is not a greeting.
  RawReply no_greeting = exchange_frames(
      port,
      proto::length_prefixed(proto::encode_frame(key, consensus::VoteRequest{consensus::Term(5)})));
  EXPECT_TRUE(no_greeting.closed);
  EXPECT_EQ(error_code_of(no_greeting), "MALFORMED_MESSAGE");
  // A greeting with another system id, then a vote request that must not be carried out.
  const consensus::ProposerGreeting wrong{consensus::NodeId(7), identity(43)};
  RawReply wrong_system =
      exchange_frames(port, proto::length_prefixed(proto::encode_frame(key, wrong)) +
                                proto::length_prefixed(proto::encode_frame(
                                    key, consensus::VoteRequest{consensus::Term(5)})));
  EXPECT_TRUE(wrong_system.closed);
  EXPECT_EQ(error_code_of(wrong_system), "WRONG_TIMELINE");
  // A timeline this node does not host.
  consensus::TimelineIdentity other = identity(42);
  other.timeline_id = *consensus::TimelineId::parse_hex("00000000000000000000000000000099");
  RawReply unknown =
      exchange_frames(port, proto::length_prefixed(proto::encode_frame(
                                {other.tenant_id, other.timeline_id},
                                consensus::ProposerGreeting{consensus::NodeId(7), other})));
  EXPECT_TRUE(unknown.closed);
  EXPECT_EQ(error_code_of(unknown), "NOT_FOUND");

  // Nothing changed: still term 0, and the node serves a good proposer afterwards.
  auto state = timeline(0);
  ASSERT_TRUE(state.has_value());
  EXPECT_EQ(state->at("term").as_int64(), 0);
  const consensus::ProposerGreeting good{consensus::NodeId(7), identity(42)};
  const int fd_port = port;
  RawReply greeted = exchange_frames(static_cast<std::uint16_t>(fd_port),
                                     proto::length_prefixed(proto::encode_frame(key, good)) +
                                         proto::length_prefixed(std::string(4, '\0')));
  ASSERT_GE(greeted.frames.size(), 2u);  // The AcceptorGreeting, then the error for the 0 length.
  auto first = proto::decode_frame(greeted.frames.front(), key);
  ASSERT_TRUE(first.has_value()) << first.error().to_string();
  EXPECT_TRUE(std::holds_alternative<consensus::AcceptorGreeting>(*first));
  auto status = cluster_->http(0, "GET", "/v1/status");
  ASSERT_TRUE(status.has_value());
  EXPECT_EQ(status->status, 200);
}

TEST_F(ClusterTest, KillLoop_EveryAcknowledgedByteSurvivesOnEveryNode) {
  // 200 MiB at 25 MB/s: about 8 s of load, with a node killed (SIGKILL) and restarted every 1-3 s.
  ChildProcess loadgen = start_loadgen({"--bytes", std::to_string(200 << 20), "--rate-mbps", "25",
                                        "--wait-all", "1", "--timeout-s", "300"},
                                       "loadgen.log");
  std::mt19937 random(20261124);
  std::map<int, Lsn> highest_commit;  // Per node, as seen over HTTP: must never go backwards.
  int kills = 0;
  auto check_commits = [&] {
    for (int i = 0; i < 3; ++i) {
      if (auto state = timeline(i)) {
        const Lsn commit = lsn_field(*state, "commit_lsn");
        EXPECT_GE(commit, highest_commit[i]) << "node " << i + 1 << " commit LSN went backwards";
        highest_commit[i] = std::max(highest_commit[i], commit);
      }
    }
  };
  while (!loadgen.wait_exit(
      std::chrono::milliseconds(std::uniform_int_distribution<int>(1000, 3000)(random)))) {
    check_commits();
    const int victim = std::uniform_int_distribution<int>(0, 2)(random);
    cluster_->kill(victim);
    ++kills;
    ASSERT_TRUE(cluster_->start(victim)) << cluster_->logs();
    ASSERT_LT(kills, 200) << "sk-loadgen does not finish";
  }
  ASSERT_EQ(loadgen.wait_exit(std::chrono::seconds(1)), std::optional<int>(0))
      << file_text(dir_.path() / "loadgen.log") << cluster_->logs();
  EXPECT_GE(kills, 2);
  check_commits();
  const auto summary = loadgen_summary(dir_.path() / "loadgen.log");
  ASSERT_TRUE(summary.has_value());
  const Lsn start = lsn_field(*summary, "start_lsn");
  const Lsn committed = lsn_field(*summary, "committed_lsn");
  EXPECT_GE(committed.bytes_since(start), std::uint64_t{200} << 20);
  const std::string expected(summary->at("digest").as_string());
  for (int i = 0; i < 3; ++i) {
    auto state = timeline(i);
    ASSERT_TRUE(state.has_value());
    EXPECT_GE(lsn_field(*state, "flush_lsn"), committed) << "node " << i + 1;
    EXPECT_EQ(digest(i, start, committed), expected) << "node " << i + 1;
  }
  RecordProperty("kills", kills);
}

TEST(DaemonTest, BadFlagsOrDataDir_OneLineAndNonZeroExit) {
  TempDir dir("sk_daemon");
  ChildProcess bad_flag =
      ChildProcess::spawn({safekeeper_binary(), "--id", "x", "--data-dir", dir.path().string()},
                          dir.path() / "flag.log");
  EXPECT_EQ(bad_flag.wait_exit(std::chrono::seconds(30)), std::optional<int>(2));
  EXPECT_EQ(file_text(dir.path() / "flag.log"),
            "safekeeper: --id: node id 'x' must be an integer from 1 to 4294967295 (see --help)\n");
  ChildProcess bad_dir = ChildProcess::spawn(
      {safekeeper_binary(), "--id", "1", "--data-dir", (dir.path() / "missing").string(),
       "--listen-proposer", "127.0.0.1:0", "--listen-http", "127.0.0.1:0"},
      dir.path() / "dir.log");
  EXPECT_EQ(bad_dir.wait_exit(std::chrono::seconds(30)), std::optional<int>(1));
  const std::string text = file_text(dir.path() / "dir.log");
  EXPECT_NE(text.find("cannot start"), std::string::npos) << text;
  EXPECT_EQ(std::count(text.begin(), text.end(), '\n'), 1) << text;
}

TEST(DaemonTest, Sigterm_ExitsZeroAndRestartsWithTheSameState) {
  TempDir dir("sk_daemon");
  SafekeeperCluster cluster(dir.path(), 1);
  ASSERT_TRUE(cluster.start(0)) << cluster.logs();
  auto created = cluster.http(
      0, "POST", std::string("/v1/tenants/") + kTenant + "/timelines",
      std::string("{\"timeline_id\":\"") + kTimeline + "\",\"start_lsn\":\"" + kStartLsn + "\"}");
  ASSERT_TRUE(created.has_value());
  EXPECT_EQ(created->status, 201);
  EXPECT_EQ(cluster.terminate(0), std::optional<int>(0)) << cluster.logs();
  ASSERT_TRUE(cluster.start(0)) << cluster.logs();
  auto state = cluster.http(0, "GET", timeline_path());
  ASSERT_TRUE(state.has_value());
  EXPECT_EQ(state->status, 200);
  EXPECT_EQ(std::string(state->body.at("flush_lsn").as_string()), kStartLsn);
  EXPECT_EQ(cluster.terminate(0), std::optional<int>(0)) << cluster.logs();
}

}  // namespace
}  // namespace sk::testing
