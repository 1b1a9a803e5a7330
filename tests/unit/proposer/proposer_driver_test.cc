// ProposerDriver against three in-memory Acceptors and a recording ProposerIo: WAL pulled from
// the source while there is room under max_uncommitted_bytes, a record larger than the room held
// until commits make it, reports in order, fencing reported once, and a restart under a newer
// configuration that proposes again the WAL the old term did not commit.
#include "safekeeper/proposer/proposer_driver.h"

#include <deque>
#include <optional>

#include <gtest/gtest.h>

#include "consensus/acceptor.h"
#include "tests/unit/consensus/test_timeline.h"

namespace sk::proposer {
namespace {

using namespace sk::consensus;
using consensus::test_support::kStart;
using consensus::test_support::test_identity;

const NodeId kProposer(101);

class RecordingIo final : public ProposerIo {
 public:
  void send(NodeId acceptor, const Message& message) override {
    sent.push_back({acceptor, message});
  }
  void drop_connection(NodeId, const Error&) override { ++drops; }
  // Whole records from `records`, as the interface describes.
  std::vector<std::uint8_t> read_wal(Lsn, std::size_t max_bytes) override {
    ++reads;
    std::vector<std::uint8_t> out;
    while (!records.empty() && (out.empty() || out.size() + records.front() <= max_bytes)) {
      out.resize(out.size() + records.front(), 0x5a);
      records.pop_front();
    }
    return out;
  }
  void on_elected(Term term, Lsn) override { elected = term; }
  void on_commit(Lsn commit_lsn) override { commits.push_back(commit_lsn); }
  void on_fenced(Term term) override {
    EXPECT_FALSE(fenced.has_value()) << "fencing reported twice";
    fenced = term;
  }
  void on_superseded(const Configuration& newer) override {
    EXPECT_FALSE(superseded.has_value()) << "superseding reported twice";
    superseded = newer;
  }

  std::deque<std::pair<NodeId, Message>> sent;
  std::deque<std::size_t> records;  // Sizes of the records the source will hand over.
  int reads = 0;
  int drops = 0;
  std::optional<Term> elected;
  std::vector<Lsn> commits;
  std::optional<Term> fenced;
  std::optional<Configuration> superseded;
};

class ProposerDriverTest : public ::testing::Test {
 protected:
  ProposerDriverTest() {
    // Node 4 is outside the first configuration: a new member for the membership change.
    for (std::uint64_t id = 1; id <= 4; ++id) {
      acceptors_.emplace_back(NodeId(id), AcceptorState::for_new_timeline(test_identity()), kStart);
    }
  }

  ProposerConfig config(std::uint64_t max_uncommitted_bytes) const {
    ProposerConfig config;
    config.proposer_id = kProposer;
    config.identity = test_identity();
    config.configuration = consensus::Configuration::of({NodeId(1), NodeId(2), NodeId(3)});
    config.max_uncommitted_bytes = max_uncommitted_bytes;
    return config;
  }

  // Carries every message to its acceptor and every reply back, until none is left; appends are
  // parked instead when `answer_appends` is false.
  void exchange(ProposerDriver& driver, bool answer_appends = true) {
    while (!io_.sent.empty()) {
      auto [to, message] = std::move(io_.sent.front());
      io_.sent.pop_front();
      if (!answer_appends && std::holds_alternative<AppendRequest>(message)) {
        parked_.push_back({to, std::move(message)});
        continue;
      }
      Result<Ready> ready = acceptors_[to.value() - 1].step(kProposer, message);
      if (refusals_disconnect_) {
        if (!ready) {  // As the server does: an error frame, then the connection closes.
          driver.on_disconnected(to);
          continue;
        }
      } else {
        ASSERT_TRUE(ready.has_value()) << ready.error().to_string();
      }
      for (const Outbound& out : ready->messages) {
        driver.on_message(to, out.message);
      }
    }
  }
  void release_parked() {
    for (auto& entry : parked_) {
      io_.sent.push_back(std::move(entry));
    }
    parked_.clear();
  }
  void elect(ProposerDriver& driver) {
    driver.start();
    for (int ticks = 0; ticks < 100 && !io_.elected; ++ticks) {
      exchange(driver);
      driver.tick();
    }
    exchange(driver);
    ASSERT_TRUE(io_.elected.has_value());
  }

  RecordingIo io_;
  std::vector<Acceptor> acceptors_;
  bool refusals_disconnect_ = false;
  std::deque<std::pair<NodeId, Message>> parked_;
};

TEST_F(ProposerDriverTest, RecordLargerThanTheRoom_IsHeldUntilCommitsMakeRoom) {
  ProposerDriver driver(config(100), io_);
  elect(driver);
  const Lsn start = driver.proposer().end_lsn();
  io_.records = {60, 60};
  driver.on_wal_available();
  // The first record fits; the second is taken but 40 bytes of room do not hold it.
  EXPECT_EQ(driver.proposer().end_lsn(), start.plus_bytes(60));
  EXPECT_TRUE(io_.records.empty());
  exchange(driver, /*answer_appends=*/false);
  const int reads_while_held = io_.reads;
  driver.on_wal_available();
  driver.tick();
  EXPECT_EQ(io_.reads, reads_while_held) << "nothing more is read while a record waits";
  EXPECT_EQ(driver.proposer().end_lsn(), start.plus_bytes(60));

  release_parked();
  exchange(driver);
  EXPECT_EQ(driver.proposer().end_lsn(), start.plus_bytes(120));
  EXPECT_EQ(driver.proposer().commit_lsn(), start.plus_bytes(120));
  ASSERT_FALSE(io_.commits.empty());
  EXPECT_EQ(io_.commits.back(), start.plus_bytes(120));
  for (std::size_t i = 1; i < io_.commits.size(); ++i) {
    EXPECT_LT(io_.commits[i - 1], io_.commits[i]);
  }
}

TEST_F(ProposerDriverTest, AHigherTermAtTheAcceptors_FencesTheDriver_ReportedOnce) {
  ProposerDriver driver(config(1 << 20), io_);
  elect(driver);
  const Term ours = driver.proposer().term();
  const std::size_t commits_before = io_.commits.size();
  for (Acceptor& acceptor : acceptors_) {
    ASSERT_TRUE(acceptor.step(NodeId(102), VoteRequest{Term(ours.value() + 5)}).has_value());
  }
  io_.records = {10};
  driver.on_wal_available();
  exchange(driver);
  driver.tick();
  exchange(driver);
  ASSERT_TRUE(io_.fenced.has_value());
  EXPECT_EQ(*io_.fenced, ours);
  EXPECT_EQ(driver.proposer().phase(), ProposerPhase::kFenced);
  EXPECT_EQ(io_.commits.size(), commits_before) << "the record appended after fencing commits";
}

TEST_F(ProposerDriverTest, Superseded_RestartsUnderTheNewerConfiguration_AndLosesNoTakenWal) {
  ProposerDriver driver(config(1 << 20), io_);
  elect(driver);
  const Term first_term = driver.proposer().term();
  const Lsn start = driver.proposer().end_lsn();
  io_.records = {100, 100};
  driver.on_wal_available();
  exchange(driver);
  ASSERT_EQ(driver.proposer().commit_lsn(), start.plus_bytes(200));
  // 100 more bytes are taken from the source and sent, but no acceptor receives them.
  io_.records = {100};
  driver.on_wal_available();
  exchange(driver, /*answer_appends=*/false);
  parked_.clear();
  ASSERT_EQ(driver.proposer().end_lsn(), start.plus_bytes(300));

  // The operator moves every acceptor to {1,2,3} -> {1,2,4}, with node 4's address.
  Configuration joint =
      start_change(config(1).configuration, {NodeId(1), NodeId(2), NodeId(4)}).value();
  joint.addresses.emplace(NodeId(4), "sk-4:5454");
  for (Acceptor& acceptor : acceptors_) {
    ASSERT_TRUE(acceptor.set_configuration(joint).has_value());
  }
  refusals_disconnect_ = true;
  driver.on_disconnected(NodeId(1));  // Its next greeting shows the newer generation.
  exchange(driver);
  ASSERT_TRUE(io_.superseded.has_value());
  EXPECT_EQ(*io_.superseded, joint);
  EXPECT_EQ(driver.proposer().phase(), ProposerPhase::kSuperseded);

  io_.elected.reset();
  driver.restart(*io_.superseded);
  EXPECT_EQ(driver.proposer().configuration(), joint);
  for (int ticks = 0; ticks < 100 && !io_.elected; ++ticks) {
    exchange(driver);
    driver.tick();
  }
  exchange(driver);
  ASSERT_TRUE(io_.elected.has_value());
  EXPECT_GT(*io_.elected, first_term);
  EXPECT_EQ(driver.proposer().term_start_lsn(), start.plus_bytes(200));
  driver.tick();
  exchange(driver);
  // The 100 bytes the old term never got acknowledged are proposed again by the driver, not
  // read again from the source, and commit under the joint configuration.
  EXPECT_EQ(driver.proposer().end_lsn(), start.plus_bytes(300));
  EXPECT_EQ(driver.proposer().commit_lsn(), start.plus_bytes(300));
  EXPECT_EQ(acceptors_[0].flush_lsn(), start.plus_bytes(300));
  ASSERT_FALSE(io_.commits.empty());
  EXPECT_EQ(io_.commits.back(), start.plus_bytes(300));
  for (std::size_t i = 1; i < io_.commits.size(); ++i) {
    EXPECT_LT(io_.commits[i - 1], io_.commits[i]);
  }
}

}  // namespace
}  // namespace sk::proposer
