// Node on a real data directory: timelines survive a restart, recovery is reported, a damaged
// timeline is kept aside without stopping the others, and a data directory is bound to its node.
#include "safekeeper/node/node.h"

#include <fstream>

#include <gtest/gtest.h>
#include <sys/resource.h>
#include <unistd.h>

#include "tests/support/temp_dir.h"
#include "tests/unit/consensus/test_timeline.h"

namespace sk::safekeeper {
namespace {

namespace fs = std::filesystem;
using namespace sk::consensus;
using consensus::test_support::at;
using consensus::test_support::kStart;
using consensus::test_support::test_identity;
using sk::testing::TempDir;

const NodeId kProposer(101);

TimelineIdentity identity_of(std::uint8_t n) {
  TimelineIdentity identity = test_identity();
  TimelineId::Bytes id{};
  id[15] = n;
  identity.timeline_id = TimelineId(id);
  identity.wal_seg_size_bytes = 1u << 20;
  return identity;
}

storage::TimelineKey key_of(const TimelineIdentity& identity) {
  return {identity.tenant_id, identity.timeline_id};
}

bool mentions(const Node::Report& report, const std::string& text) {
  for (const std::string& line : report) {
    if (line.find(text) != std::string::npos) {
      return true;
    }
  }
  return false;
}

class NodeTest : public ::testing::Test {
 protected:
  std::unique_ptr<Node> open_node(NodeId id = NodeId(1)) {
    report_.clear();
    // Every commit LSN also goes to the control store, so that lost WAL is always noticed.
    auto node = Node::open(
        {.node_id = id, .data_dir = dir_.path(), .timeline = {.control_save_lag_bytes = 1}},
        report_);
    EXPECT_TRUE(node.has_value()) << node.error().to_string();
    return node ? std::move(*node) : nullptr;
  }
  // Elects term 1 on `timeline` and appends `size` bytes committed up to `commit`.
  static void write_wal(Timeline& timeline, std::uint64_t size, std::uint64_t commit) {
    const TermHistory history({{Term(0), kStart}, {Term(1), kStart}});
    for (const Message& message :
         {Message(VoteRequest{Term(1)}), Message(ProposerElected{Term(1), kStart, history}),
          Message(AppendRequest{Term(1), kStart, at(size), kStart, kStart,
                                std::vector<std::uint8_t>(size, 7)}),
          Message(AppendRequest{Term(1), at(size), at(size), at(commit), kStart, {}})}) {
      ASSERT_TRUE(timeline.submit(kProposer, message).has_value());
      ASSERT_TRUE(timeline.commit_batch().has_value());
    }
  }

  TempDir dir_{"sk_node"};
  Node::Report report_;
};

TEST_F(NodeTest, Timelines_SurviveARestart) {
  {
    auto node = open_node();
    ASSERT_NE(node, nullptr);
    auto created = node->create_timeline(identity_of(1));
    ASSERT_TRUE(created.has_value()) << created.error().to_string();
    write_wal(**created, 500, 500);
    ASSERT_TRUE(node->create_timeline(identity_of(2)).has_value());
  }
  auto node = open_node();
  ASSERT_NE(node, nullptr);
  EXPECT_EQ(node->timelines().size(), 2u);
  Timeline* timeline = node->timeline(key_of(identity_of(1)));
  ASSERT_NE(timeline, nullptr);
  EXPECT_EQ(timeline->acceptor().term(), Term(1));
  EXPECT_EQ(timeline->acceptor().flush_lsn(), at(500));
  EXPECT_EQ(timeline->durable_state().commit_lsn, at(500));
  EXPECT_TRUE(mentions(report_, "flush " + at(500).to_string()))
      << ::testing::PrintToString(report_);
  EXPECT_TRUE(node->broken().empty());
}

TEST_F(NodeTest, CreateTwice_IsAlreadyExists) {
  auto node = open_node();
  ASSERT_NE(node, nullptr);
  ASSERT_TRUE(node->create_timeline(identity_of(1)).has_value());
  auto again = node->create_timeline(identity_of(1));
  ASSERT_FALSE(again.has_value());
  EXPECT_EQ(again.error().code(), ErrorCode::kAlreadyExists);
}

TEST_F(NodeTest, LostAcknowledgedWal_KeepsThatTimelineAsideAndOpensTheOthers) {
  {
    auto node = open_node();
    ASSERT_NE(node, nullptr);
    auto damaged = node->create_timeline(identity_of(1));
    ASSERT_TRUE(damaged.has_value());
    write_wal(**damaged, 300, 300);
    auto intact = node->create_timeline(identity_of(2));
    ASSERT_TRUE(intact.has_value());
    write_wal(**intact, 200, 200);
  }
  // Zero the damaged timeline's only segment file: its committed WAL is gone.
  const fs::path wal = dir_.path() / "timelines" / identity_of(1).tenant_id.to_hex() /
                       identity_of(1).timeline_id.to_hex();
  for (const auto& entry : fs::directory_iterator(wal)) {
    const auto size = fs::file_size(entry.path());
    std::ofstream(entry.path(), std::ios::binary | std::ios::trunc)
        .write(std::string(size, '\0').data(), static_cast<std::streamsize>(size));
  }
  auto node = open_node();
  ASSERT_NE(node, nullptr);
  EXPECT_EQ(node->timeline(key_of(identity_of(1))), nullptr);
  ASSERT_EQ(node->broken().size(), 1u);
  EXPECT_EQ(node->broken().at(key_of(identity_of(1))).code(), ErrorCode::kCorruption);
  EXPECT_TRUE(mentions(report_, "below the saved commit LSN")) << ::testing::PrintToString(report_);
  Timeline* intact = node->timeline(key_of(identity_of(2)));
  ASSERT_NE(intact, nullptr);
  EXPECT_EQ(intact->acceptor().flush_lsn(), at(200));
}

TEST_F(NodeTest, BelowTheDiskReserve_AppendsStopTheTimelineWhichReopensOnlyOnceSpaceReturns) {
  std::uint64_t free_bytes = std::uint64_t{10} << 30;
  int probes = 0;
  auto opened = Node::open({.node_id = NodeId(1),
                            .data_dir = dir_.path(),
                            .disk_reserve = *storage::ReserveSize::parse("1GiB"),
                            .disk_probe = [&](const fs::path&) -> Result<storage::FileSystemSpace> {
                              ++probes;
                              return storage::FileSystemSpace{free_bytes, std::uint64_t{100} << 30};
                            },
                            .timeline = {.control_save_lag_bytes = 1}},
                           report_);
  ASSERT_TRUE(opened.has_value()) << opened.error().to_string();
  Node& node = **opened;
  const TimelineIdentity identity = identity_of(1);
  auto created = node.create_timeline(identity);
  ASSERT_TRUE(created.has_value()) << created.error().to_string();
  write_wal(**created, 1000, 1000);
  EXPECT_EQ(node.wal_bytes_on_disk(key_of(identity)), 2u << 20);  // A segment and its spare.

  free_bytes = std::uint64_t{512} << 20;
  ASSERT_TRUE(node.disk_reserve().below_reserve_now());
  Timeline* timeline = node.timeline(key_of(identity));
  Status refused =
      timeline->submit(kProposer, AppendRequest{Term(1), at(1000), at(1100), at(1000), kStart,
                                                std::vector<std::uint8_t>(100, 7)});
  ASSERT_FALSE(refused.has_value());
  EXPECT_EQ(refused.error().code(), ErrorCode::kNoSpace);
  EXPECT_NE(refused.error().message().find("below the reserve of 1.0 GiB"), std::string::npos)
      << refused.error().message();
  EXPECT_EQ(node.disk_reserve().refused_total(), 1u);

  // Still below: no reopen, and no new attempt (nor probe) within the next second.
  const auto t0 = std::chrono::steady_clock::now();
  EXPECT_FALSE(node.reopen_if_stopped(key_of(identity), t0, report_));
  const int probes_after_attempt = probes;
  EXPECT_FALSE(
      node.reopen_if_stopped(key_of(identity), t0 + std::chrono::milliseconds(500), report_));
  EXPECT_EQ(probes, probes_after_attempt);
  EXPECT_TRUE(node.timeline(key_of(identity))->failure().has_value());

  // Space returns: reopened from disk, and appends go on where they stopped.
  free_bytes = std::uint64_t{2} << 30;
  ASSERT_TRUE(node.reopen_if_stopped(key_of(identity), t0 + std::chrono::seconds(1), report_));
  timeline = node.timeline(key_of(identity));
  ASSERT_FALSE(timeline->failure().has_value());
  EXPECT_EQ(timeline->flush_lsn(), at(1000));
  ASSERT_TRUE(timeline->submit(kProposer, VoteRequest{Term(2)}).has_value());
  ASSERT_TRUE(timeline->commit_batch().has_value());
  const TermHistory history({{Term(0), kStart}, {Term(1), kStart}, {Term(2), at(1000)}});
  for (const Message& message :
       {Message(ProposerElected{Term(2), at(1000), history}),
        Message(AppendRequest{Term(2), at(1000), at(1100), at(1000), kStart,
                              std::vector<std::uint8_t>(100, 8)})}) {
    ASSERT_TRUE(timeline->submit(kProposer, message).has_value());
    ASSERT_TRUE(timeline->commit_batch().has_value());
  }
  EXPECT_EQ(timeline->flush_lsn(), at(1100));
}

// Lowers the process's descriptor limit below every descriptor but stdin, stdout and stderr, so
// that any open() fails with EMFILE (descriptors already open stay usable), until destroyed.
class OutOfDescriptors {
 public:
  OutOfDescriptors() {
    getrlimit(RLIMIT_NOFILE, &saved_);
    rlimit lowered = saved_;
    lowered.rlim_cur = 3;
    setrlimit(RLIMIT_NOFILE, &lowered);
  }
  ~OutOfDescriptors() { setrlimit(RLIMIT_NOFILE, &saved_); }
  OutOfDescriptors(const OutOfDescriptors&) = delete;
  OutOfDescriptors& operator=(const OutOfDescriptors&) = delete;

 private:
  rlimit saved_{};
};

TEST_F(NodeTest, OutOfDescriptors_StopsTheTimelineWhichReopensOnceTheyAreBack) {
  auto node = open_node();
  ASSERT_NE(node, nullptr);
  const TimelineIdentity identity = identity_of(1);
  auto created = node->create_timeline(identity);
  ASSERT_TRUE(created.has_value()) << created.error().to_string();
  write_wal(**created, 1000, 1000);
  Timeline* timeline = node->timeline(key_of(identity));
  // Into the spare segment, which makes the next spare: no descriptor is left for it.
  const std::uint64_t past_segment = (1u << 20) + 100;
  Status stopped;
  {
    OutOfDescriptors limit;
    stopped = timeline->submit(kProposer,
                               AppendRequest{Term(1), at(1000), at(past_segment), at(1000), kStart,
                                             std::vector<std::uint8_t>(past_segment - 1000, 8)});
    if (stopped.has_value()) {
      auto committed = timeline->commit_batch();
      if (!committed) {
        stopped = committed.error();
      }
    }
  }
  ASSERT_FALSE(stopped.has_value()) << "an open() should have failed with EMFILE";
  EXPECT_EQ(stopped.error().code(), ErrorCode::kUnavailable) << stopped.error().to_string();
  EXPECT_NE(stopped.error().message().find("Too many open files"), std::string::npos)
      << stopped.error().message();
  ASSERT_TRUE(node->timeline(key_of(identity))->failure().has_value());

  // Descriptors are back: reopened from disk, and appends go on from what was durable.
  ASSERT_TRUE(node->reopen_if_stopped(
      key_of(identity), std::chrono::steady_clock::now() + std::chrono::seconds(1), report_))
      << ::testing::PrintToString(report_);
  timeline = node->timeline(key_of(identity));
  ASSERT_FALSE(timeline->failure().has_value());
  const Lsn durable = timeline->flush_lsn();
  EXPECT_GE(durable, at(1000));
  ASSERT_TRUE(timeline->submit(kProposer, VoteRequest{Term(2)}).has_value());
  ASSERT_TRUE(timeline->commit_batch().has_value());
  const TermHistory history({{Term(0), kStart}, {Term(1), kStart}, {Term(2), durable}});
  for (const Message& message :
       {Message(ProposerElected{Term(2), durable, history}),
        Message(AppendRequest{
            Term(2), durable, at(past_segment + 100), durable, kStart,
            std::vector<std::uint8_t>(at(past_segment + 100).bytes_since(durable), 9)})}) {
    ASSERT_TRUE(timeline->submit(kProposer, message).has_value());
    ASSERT_TRUE(timeline->commit_batch().has_value());
  }
  EXPECT_EQ(timeline->flush_lsn(), at(past_segment + 100));
}

TEST_F(NodeTest, DataDirectoryOfAnotherNode_IsRefused) {
  ASSERT_NE(open_node(NodeId(1)), nullptr);
  Node::Report report;
  auto other = Node::open({.node_id = NodeId(2), .data_dir = dir_.path(), .timeline = {}}, report);
  ASSERT_FALSE(other.has_value());
  EXPECT_EQ(other.error().code(), ErrorCode::kFailedPrecondition);
  EXPECT_NE(other.error().message().find("belongs to node 1"), std::string::npos)
      << other.error().message();
}

TEST_F(NodeTest, MissingDataDirectory_IsIoError) {
  Node::Report report;
  auto node = Node::open(
      {.node_id = NodeId(1), .data_dir = dir_.path() / "missing", .timeline = {}}, report);
  ASSERT_FALSE(node.has_value());
  EXPECT_EQ(node.error().code(), ErrorCode::kIoError);
  EXPECT_NE(node.error().message().find("missing"), std::string::npos);
}

TEST_F(NodeTest, NewDataDirectory_HasAnUnconfirmedIncarnation_KeptAcrossRestarts) {
  std::uint64_t first = 0;
  {
    auto node = open_node();
    ASSERT_NE(node, nullptr);
    first = node->incarnation();
    EXPECT_NE(first, 0u);
    EXPECT_FALSE(node->incarnation_confirmed());
  }
  {
    auto node = open_node();
    ASSERT_NE(node, nullptr);
    EXPECT_EQ(node->incarnation(), first);
    EXPECT_FALSE(node->incarnation_confirmed());
    ASSERT_TRUE(node->confirm_incarnation().has_value());
  }
  {
    auto node = open_node();
    ASSERT_NE(node, nullptr);
    EXPECT_EQ(node->incarnation(), first);
    EXPECT_TRUE(node->incarnation_confirmed());
  }
  // A wiped directory is a new one: another incarnation, unconfirmed.
  fs::remove_all(dir_.path());
  fs::create_directories(dir_.path());
  auto node = open_node();
  ASSERT_NE(node, nullptr);
  EXPECT_NE(node->incarnation(), first);
  EXPECT_FALSE(node->incarnation_confirmed());
}

TEST_F(NodeTest, DataDirectoryFromBeforeIncarnations_GetsAConfirmedOne) {
  {
    auto node = open_node();
    ASSERT_NE(node, nullptr);
    ASSERT_TRUE(node->lmdb().erase(storage::LmdbEnv::Database::kMeta, "incarnation").has_value());
  }
  auto node = open_node();
  ASSERT_NE(node, nullptr);
  EXPECT_NE(node->incarnation(), 0u);
  EXPECT_TRUE(node->incarnation_confirmed());  // Its votes are intact.
}

TEST_F(NodeTest, PeerIncarnations_TheFirstOneSeenIsKept_AcrossRestarts) {
  {
    auto node = open_node();
    ASSERT_NE(node, nullptr);
    auto first = node->peer_incarnations().admit(NodeId(2), 0x1111);
    ASSERT_TRUE(first.has_value());
    EXPECT_FALSE(first->has_value());
    auto again = node->peer_incarnations().admit(NodeId(2), 0x1111);
    ASSERT_TRUE(again.has_value());
    EXPECT_FALSE(again->has_value());
    auto other_peer = node->peer_incarnations().admit(NodeId(3), 0x2222);
    ASSERT_TRUE(other_peer.has_value());
    EXPECT_FALSE(other_peer->has_value());
  }
  auto node = open_node();
  ASSERT_NE(node, nullptr);
  auto wiped = node->peer_incarnations().admit(NodeId(2), 0x3333);
  ASSERT_TRUE(wiped.has_value());
  EXPECT_EQ(*wiped, std::optional<std::uint64_t>(0x1111));
  auto recorded = node->peer_incarnations().recorded(NodeId(2));
  ASSERT_TRUE(recorded.has_value());
  EXPECT_EQ(*recorded, std::optional<std::uint64_t>(0x1111));
}

TEST(IncarnationText, IsSixteenLowercaseHexDigits_AndNothingElseParses) {
  EXPECT_EQ(storage::format_incarnation(0x00ab), "00000000000000ab");
  EXPECT_EQ(storage::parse_incarnation("00000000000000ab"), std::optional<std::uint64_t>(0xab));
  EXPECT_EQ(storage::parse_incarnation(storage::format_incarnation(~std::uint64_t{0})),
            std::optional<std::uint64_t>(~std::uint64_t{0}));
  EXPECT_FALSE(storage::parse_incarnation("ab").has_value());
  EXPECT_FALSE(storage::parse_incarnation("00000000000000AB").has_value());
  EXPECT_FALSE(storage::parse_incarnation("+000000000000000").has_value());
}

}  // namespace
}  // namespace sk::safekeeper
