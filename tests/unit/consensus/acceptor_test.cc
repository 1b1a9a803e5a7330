// Unit tests for consensus::Acceptor: one named test per promise in acceptor.h and per acceptor
// rule of DESIGN.md ("The consensus"), plus reboot tests in the spirit of Neon's test_voting:
// apply the Readys to an in-memory disk, rebuild the acceptor from what was persisted, and check
// that the promise survived.
#include "consensus/acceptor.h"

#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <optional>
#include <ostream>
#include <string>
#include <utility>
#include <variant>
#include <vector>

#include <gtest/gtest.h>

#include "consensus/messages.h"
#include "consensus/ready.h"
#include "tests/unit/consensus/test_timeline.h"

namespace sk::consensus {

// Readable values in GoogleTest failure messages (found by argument-dependent lookup).
[[maybe_unused]] static void PrintTo(const Lsn& lsn, std::ostream* os) {
  *os << lsn.to_string();
}
[[maybe_unused]] static void PrintTo(const Term& term, std::ostream* os) {
  *os << "term " << term.value();
}
[[maybe_unused]] static void PrintTo(const TermHistory& history, std::ostream* os) {
  *os << history.to_string();
}

namespace {

constexpr NodeId kAcceptorId{1};
constexpr NodeId kProposerId{101};
using test_support::at;
using test_support::kStart;
using test_support::test_identity;

// WAL bytes [begin, begin + size) as written by `term`: different terms write different bytes at
// the same LSN, so a diverging tail that survives truncation shows up as a byte mismatch.
std::vector<std::uint8_t> wal_of(Term term, Lsn begin, std::uint64_t size) {
  std::vector<std::uint8_t> bytes;
  for (std::uint64_t i = 0; i < size; ++i) {
    bytes.push_back(static_cast<std::uint8_t>((begin.value() + i) * 7 + term.value() * 101));
  }
  return bytes;
}

TermHistory history(std::initializer_list<std::pair<std::uint64_t, std::uint64_t>> entries) {
  std::vector<TermSwitch> switches;
  for (auto [term, offset] : entries) {
    switches.push_back({Term(term), at(offset)});
  }
  return TermHistory(std::move(switches));
}

// What a driver keeps for one acceptor: the state last persisted and the WAL from the timeline
// start. `apply` carries out a Ready in the order ready.h prescribes (all of it is "durable" at
// once: these tests crash only between Readys).
struct Disk {
  AcceptorState state = AcceptorState::for_new_timeline(test_identity());
  std::vector<std::uint8_t> wal;

  Lsn flush_lsn() const { return kStart.plus_bytes(wal.size()); }

  void apply(const Ready& ready) {
    if (ready.truncate_wal_at) {
      ASSERT_GE(*ready.truncate_wal_at, kStart);
      ASSERT_LE(*ready.truncate_wal_at, flush_lsn());
      wal.resize(ready.truncate_wal_at->bytes_since(kStart));
    }
    if (ready.wal_write) {
      // Appends are strictly sequential: the acceptor never asks for a hole or an overwrite.
      ASSERT_EQ(ready.wal_write->begin_lsn, flush_lsn());
      wal.insert(wal.end(), ready.wal_write->bytes.begin(), ready.wal_write->bytes.end());
    }
    if (ready.persist) {
      state = *ready.persist;
    }
  }
};

// The single message of a Ready, as the type the test expects; a failure (and a default value)
// otherwise.
template <class T>
T only_message(const Ready& ready) {
  EXPECT_EQ(ready.messages.size(), 1u);
  if (ready.messages.size() != 1) {
    return T{};
  }
  EXPECT_EQ(ready.messages[0].to, kProposerId);
  const T* message = std::get_if<T>(&ready.messages[0].message);
  if (message == nullptr) {
    ADD_FAILURE() << "got " << message_name(ready.messages[0].message);
    return T{};
  }
  return *message;
}

class AcceptorTest : public ::testing::Test {
 protected:
  void SetUp() override { reboot(); }

  // Builds a fresh Acceptor from the disk, as the driver does at start-up.
  void reboot() { acceptor_.emplace(kAcceptorId, disk_.state, disk_.flush_lsn()); }

  Acceptor& acceptor() { return *acceptor_; }

  // Steps the acceptor and, when it succeeds, applies the Ready to the disk.
  Result<Ready> step(const Message& message) {
    Result<Ready> result = acceptor_->step(kProposerId, message);
    if (result) {
      disk_.apply(*result);
    }
    return result;
  }

  // As step, for messages the test expects to be handled without an Error.
  Ready step_ok(const Message& message) {
    Result<Ready> result = step(message);
    if (!result) {
      ADD_FAILURE() << message_name(message) << " failed: " << result.error().to_string();
      return Ready{};
    }
    return std::move(result).value();
  }

  // Votes for `term` and adopts `proposer_history` (which must end with `term`), as a proposer
  // elected in `term` would make it do.
  void elect(Term term, const TermHistory& proposer_history, Lsn start_streaming_at) {
    step_ok(VoteRequest{term});
    const AppendResponse ack = only_message<AppendResponse>(
        step_ok(ProposerElected{term, start_streaming_at, proposer_history}));
    ASSERT_EQ(ack.status, AppendStatus::kAccepted);
  }

  // Appends `size` bytes of `term` at the flush LSN.
  void append(Term term, std::uint64_t size, Lsn commit_lsn = kInvalidLsn,
              Lsn truncate_lsn = kInvalidLsn) {
    const Lsn begin = acceptor().flush_lsn();
    const AppendResponse ack = only_message<AppendResponse>(step_ok(AppendRequest{
        term, begin, begin.plus_bytes(size), commit_lsn, truncate_lsn, wal_of(term, begin, size)}));
    ASSERT_EQ(ack.status, AppendStatus::kAccepted);
  }

  // An acceptor that was elected in term 1 from the timeline start and holds `size` bytes of it.
  void start_in_term_1(std::uint64_t size, Lsn commit_lsn = kInvalidLsn) {
    elect(Term(1), history({{0, 0}, {1, 0}}), kStart);
    append(Term(1), size, commit_lsn);
  }

  Disk disk_;
  std::optional<Acceptor> acceptor_;
};

// --- Configuration ----------------------------------------------------------------------------

Configuration joint_g1() {
  return Configuration{
      Generation(1), {kAcceptorId, NodeId(2), NodeId(3)}, {kAcceptorId, NodeId(2), NodeId(4)}};
}

TEST_F(AcceptorTest, Configuration_NoneAtFirst_ProposersOfGenerationZeroAreServed) {
  EXPECT_TRUE(acceptor().state().configuration.none());
  const Ready ready = step_ok(
      ProposerGreeting{kProposerId, test_identity(), Configuration::of({kAcceptorId, NodeId(2)})});
  EXPECT_TRUE(only_message<AcceptorGreeting>(ready).configuration.none());
  EXPECT_FALSE(ready.persist.has_value());  // Generation 0 is not adopted.
  start_in_term_1(10);
}

TEST_F(AcceptorTest, SetConfiguration_IsDurable_AndShownInEveryGreeting) {
  const Ready ready = acceptor().set_configuration(joint_g1()).value();
  disk_.apply(ready);
  ASSERT_TRUE(ready.persist.has_value());
  EXPECT_EQ(ready.persist->configuration, joint_g1());
  reboot();
  EXPECT_EQ(acceptor().state().configuration, joint_g1());
  const auto greeting =
      only_message<AcceptorGreeting>(step_ok(ProposerGreeting{kProposerId, test_identity()}));
  EXPECT_EQ(greeting.configuration, joint_g1());
  // The same again changes nothing.
  EXPECT_FALSE(acceptor().set_configuration(joint_g1()).value().persist.has_value());
}

TEST_F(AcceptorTest, SetConfiguration_NeverGoesBack_NorNamesAnotherSetUnderOneGeneration) {
  disk_.apply(acceptor().set_configuration(joint_g1()).value());
  auto lower = acceptor().set_configuration(Configuration::of({kAcceptorId, NodeId(2)}));
  ASSERT_FALSE(lower.has_value());
  EXPECT_EQ(lower.error().code(), ErrorCode::kFailedPrecondition);
  Configuration other = joint_g1();
  other.new_members = {kAcceptorId, NodeId(2), NodeId(5)};
  auto same_generation = acceptor().set_configuration(other);
  ASSERT_FALSE(same_generation.has_value());
  EXPECT_EQ(same_generation.error().code(), ErrorCode::kFailedPrecondition);
  Configuration readdressed = joint_g1();
  readdressed.addresses.emplace(NodeId(4), "sk-4:5454");
  auto other_addresses = acceptor().set_configuration(readdressed);
  ASSERT_FALSE(other_addresses.has_value());
  EXPECT_NE(other_addresses.error().message().find("other addresses"), std::string::npos)
      << other_addresses.error().message();
  auto malformed = acceptor().set_configuration(Configuration{Generation(2), {}, {}});
  ASSERT_FALSE(malformed.has_value());
  EXPECT_EQ(malformed.error().code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(acceptor().state().configuration, joint_g1());
  // A removed member may adopt the configuration that leaves it out: it then serves no one.
  const Configuration without_us{Generation(2), {NodeId(2), NodeId(3), NodeId(4)}, {}};
  EXPECT_TRUE(acceptor().set_configuration(without_us).value().persist.has_value());
}

TEST_F(AcceptorTest, RequestsOfAnotherGeneration_AreRefused_AndChangeNothing) {
  start_in_term_1(100);
  disk_.apply(acceptor().set_configuration(joint_g1()).value());
  const AcceptorState before = acceptor().state();
  const Lsn flush = acceptor().flush_lsn();
  for (const Message& stale :
       {Message(VoteRequest{Term(5)}),
        Message(ProposerElected{Term(5), at(100), history({{0, 0}, {1, 0}, {5, 100}})}),
        Message(
            AppendRequest{Term(1), at(100), at(110), kStart, kStart, wal_of(Term(1), at(100), 10)}),
        Message(VoteRequest{Term(5), Generation(2)})}) {
    SCOPED_TRACE(message_name(stale));
    Result<Ready> refused = step(stale);
    ASSERT_FALSE(refused.has_value());
    EXPECT_EQ(refused.error().code(), ErrorCode::kFailedPrecondition);
    EXPECT_NE(refused.error().message().find("g1 {1,2,3} -> {1,2,4}"), std::string::npos)
        << refused.error().message();
  }
  EXPECT_EQ(acceptor().state(), before);
  EXPECT_EQ(acceptor().flush_lsn(), flush);
  // Its own generation is served as before.
  const auto vote = only_message<VoteResponse>(step_ok(VoteRequest{Term(5), Generation(1)}));
  EXPECT_TRUE(vote.vote_given);
}

TEST_F(AcceptorTest, Greeting_OfAHigherGenerationCountingUs_IsAdoptedDurably_OtherwiseNot) {
  const Configuration leaves_us_out{Generation(3), {NodeId(2), NodeId(3), NodeId(4)}, {}};
  Ready ready = step_ok(ProposerGreeting{kProposerId, test_identity(), leaves_us_out});
  EXPECT_TRUE(only_message<AcceptorGreeting>(ready).configuration.none());
  EXPECT_FALSE(ready.persist.has_value());

  ready = step_ok(ProposerGreeting{kProposerId, test_identity(), joint_g1()});
  ASSERT_TRUE(ready.persist.has_value());
  EXPECT_EQ(ready.persist->configuration, joint_g1());
  EXPECT_EQ(only_message<AcceptorGreeting>(ready).configuration, joint_g1());

  // A lower generation is not adopted; the greeting shows ours, and the proposer stops.
  ready = step_ok(ProposerGreeting{kProposerId, test_identity(),
                                   Configuration::of({kAcceptorId, NodeId(2), NodeId(3)})});
  EXPECT_FALSE(ready.persist.has_value());
  EXPECT_EQ(only_message<AcceptorGreeting>(ready).configuration, joint_g1());
}

TEST_F(AcceptorTest, Greeting_OfAnotherSetUnderOurGeneration_IsRefused) {
  disk_.apply(acceptor().set_configuration(joint_g1()).value());
  Configuration other = joint_g1();
  other.new_members = {kAcceptorId, NodeId(2), NodeId(5)};
  Result<Ready> refused = step(ProposerGreeting{kProposerId, test_identity(), other});
  ASSERT_FALSE(refused.has_value());
  EXPECT_EQ(refused.error().code(), ErrorCode::kFailedPrecondition);
  EXPECT_NE(refused.error().message().find("under the same generation"), std::string::npos)
      << refused.error().message();
  // The same sets with addresses (a proposer that learnt them from a greeting) are ours.
  Configuration with_addresses = joint_g1();
  with_addresses.addresses.emplace(NodeId(4), "sk-4:5454");
  const auto greeting = only_message<AcceptorGreeting>(
      step_ok(ProposerGreeting{kProposerId, test_identity(), with_addresses}));
  EXPECT_EQ(greeting.configuration, joint_g1());
}

// --- Greeting -------------------------------------------------------------------------------

TEST_F(AcceptorTest, Greeting_SameTimeline_RepliesWithIdAndTerm) {
  start_in_term_1(10);
  const Ready ready = step_ok(ProposerGreeting{kProposerId, test_identity()});
  const auto greeting = only_message<AcceptorGreeting>(ready);
  EXPECT_EQ(greeting.acceptor_id, kAcceptorId);
  EXPECT_EQ(greeting.term, Term(1));
  EXPECT_FALSE(ready.persist.has_value());
  EXPECT_FALSE(ready.must_sync);
}

TEST_F(AcceptorTest, Greeting_WrongSystemId_IsWrongTimelineError) {
  TimelineIdentity theirs = test_identity();
  theirs.system_id = 42;
  Result<Ready> result = step(ProposerGreeting{kProposerId, theirs});
  ASSERT_FALSE(result.has_value());
  EXPECT_EQ(result.error().code(), ErrorCode::kWrongTimeline);
  // "got X, expected Y", so an operator can see which side is wrong.
  EXPECT_NE(result.error().message().find("got 42"), std::string::npos);
  EXPECT_NE(result.error().message().find("expected 7250000000000000001"), std::string::npos);
}

TEST_F(AcceptorTest, Greeting_OtherTimelineIdentity_IsWrongTimelineError) {
  struct Case {
    const char* name;
    void (*change)(TimelineIdentity&);
  };
  const Case cases[] = {
      {"tenant id",
       [](TimelineIdentity& id) {
         id.tenant_id = *TenantId::parse_hex("00000000000000000000000000000001");
       }},
      {"timeline id",
       [](TimelineIdentity& id) {
         id.timeline_id = *TimelineId::parse_hex("00000000000000000000000000000001");
       }},
      {"system id", [](TimelineIdentity& id) { id.system_id += 1; }},
      {"PostgreSQL major version", [](TimelineIdentity& id) { id.pg_version = 160001; }},
      {"WAL segment size", [](TimelineIdentity& id) { id.wal_seg_size_bytes = 1u << 20; }},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    const AcceptorState before = acceptor().state();
    TimelineIdentity theirs = test_identity();
    c.change(theirs);
    Result<Ready> result = step(ProposerGreeting{kProposerId, theirs});
    ASSERT_FALSE(result.has_value());
    EXPECT_EQ(result.error().code(), ErrorCode::kWrongTimeline);
    EXPECT_NE(result.error().message().find(c.name), std::string::npos) << result.error().message();
    EXPECT_EQ(acceptor().state(), before);
  }
}

TEST_F(AcceptorTest, Greeting_CompatibleIdentity_IsAccepted) {
  struct Case {
    const char* name;
    void (*change)(TimelineIdentity&);
  };
  const Case cases[] = {
      {"same identity", [](TimelineIdentity&) {}},
      {"system id not known yet (sync-safekeepers)",
       [](TimelineIdentity& id) { id.system_id = 0; }},
      {"other minor version", [](TimelineIdentity& id) { id.pg_version = 150007; }},
      {"start LSN is informational", [](TimelineIdentity& id) { id.timeline_start_lsn = at(99); }},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    TimelineIdentity theirs = test_identity();
    c.change(theirs);
    Result<Ready> result = step(ProposerGreeting{kProposerId, theirs});
    ASSERT_TRUE(result.has_value()) << result.error().to_string();
    EXPECT_EQ(only_message<AcceptorGreeting>(*result).term, Term(0));
  }
}

// --- Votes ----------------------------------------------------------------------------------

TEST_F(AcceptorTest, VoteRequest_FromHigherTerm_IsGranted) {
  start_in_term_1(100);
  const auto vote = only_message<VoteResponse>(step_ok(VoteRequest{Term(4)}));
  EXPECT_TRUE(vote.vote_given);
  EXPECT_EQ(vote.term, Term(4));
  EXPECT_EQ(acceptor().term(), Term(4));
}

TEST_F(AcceptorTest, VoteRequest_FromOlderTerm_IsRefused) {
  step_ok(VoteRequest{Term(5)});
  const Ready ready = step_ok(VoteRequest{Term(3)});
  const auto vote = only_message<VoteResponse>(ready);
  EXPECT_FALSE(vote.vote_given);
  EXPECT_EQ(vote.term, Term(5));  // Tells the proposer what to beat.
  EXPECT_FALSE(ready.persist.has_value());
  EXPECT_EQ(acceptor().term(), Term(5));
}

// A vote is given at most once per term, even to the same proposer asking again.
TEST_F(AcceptorTest, VoteRequest_ForPromisedTerm_IsRefused) {
  ASSERT_TRUE(only_message<VoteResponse>(step_ok(VoteRequest{Term(5)})).vote_given);
  const Ready again = step_ok(VoteRequest{Term(5)});
  EXPECT_FALSE(only_message<VoteResponse>(again).vote_given);
  EXPECT_EQ(only_message<VoteResponse>(again).term, Term(5));
  EXPECT_FALSE(again.persist.has_value());
}

TEST_F(AcceptorTest, VoteGranted_PersistsTermBeforeReply) {
  start_in_term_1(100);
  const Ready ready = step_ok(VoteRequest{Term(7)});
  // The new term travels in `persist`, which the driver makes durable before sending the vote.
  ASSERT_TRUE(ready.persist.has_value());
  EXPECT_EQ(ready.persist->term, Term(7));
  EXPECT_EQ(*ready.persist, acceptor().state());
  // Nothing else about the state changes with a vote.
  EXPECT_EQ(ready.persist->history, history({{0, 0}, {1, 0}}));
  EXPECT_EQ(ready.persist->commit_lsn, kStart);
  const auto vote = only_message<VoteResponse>(ready);
  EXPECT_TRUE(vote.vote_given);
  EXPECT_EQ(vote.term, ready.persist->term);
}

TEST_F(AcceptorTest, VoteRequest_AlwaysAsksForFsyncBeforeAnswering) {
  struct Case {
    const char* name;
    std::uint64_t request_term;
    bool granted;
  };
  const Case cases[] = {
      {"granted", 9, true},
      {"same term, refused", 5, false},
      {"older term, refused", 2, false},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    Disk disk;
    Acceptor acceptor(kAcceptorId, disk.state, disk.flush_lsn());
    ASSERT_TRUE(acceptor.step(kProposerId, VoteRequest{Term(5)}).has_value());
    Result<Ready> ready = acceptor.step(kProposerId, VoteRequest{Term(c.request_term)});
    ASSERT_TRUE(ready.has_value());
    // The reported flush LSN must be final: WAL written before the vote is synced first.
    EXPECT_TRUE(ready->must_sync);
    EXPECT_EQ(only_message<VoteResponse>(*ready).vote_given, c.granted);
  }
}

TEST_F(AcceptorTest, VoteResponse_ReportsFlushAndHistoryCutAtFlush) {
  // Term 3 was adopted with its history starting at 300, but only 200 bytes arrived: the log
  // this acceptor holds is still term 1's.
  start_in_term_1(200);
  step_ok(VoteRequest{Term(3)});
  const Ready elected =
      step_ok(ProposerElected{Term(3), at(200), history({{0, 0}, {1, 0}, {3, 300}})});
  ASSERT_EQ(only_message<AppendResponse>(elected).status, AppendStatus::kAccepted);
  ASSERT_EQ(acceptor().state().history, history({{0, 0}, {1, 0}, {3, 300}}));

  const auto vote = only_message<VoteResponse>(step_ok(VoteRequest{Term(4)}));
  EXPECT_EQ(vote.flush_lsn, at(200));
  EXPECT_EQ(vote.history, history({{0, 0}, {1, 0}}));
  EXPECT_EQ(vote.history.last_term(), Term(1));
  EXPECT_EQ(acceptor().last_log_term(), Term(1));
}

// --- ProposerElected ------------------------------------------------------------------------

TEST_F(AcceptorTest, ProposerElected_AdoptsHistoryAndSyncsBeforeAck) {
  start_in_term_1(100);
  step_ok(VoteRequest{Term(2)});
  const TermHistory proposer_history = history({{0, 0}, {1, 0}, {2, 100}});
  const Ready ready = step_ok(ProposerElected{Term(2), at(100), proposer_history});
  EXPECT_FALSE(ready.truncate_wal_at.has_value());  // Nothing diverges.
  ASSERT_TRUE(ready.persist.has_value());
  EXPECT_EQ(ready.persist->history, proposer_history);
  EXPECT_TRUE(ready.must_sync);
  const auto ack = only_message<AppendResponse>(ready);
  EXPECT_EQ(ack.status, AppendStatus::kAccepted);
  EXPECT_EQ(ack.term, Term(2));
  EXPECT_EQ(ack.flush_lsn, at(100));
}

TEST_F(AcceptorTest, ProposerElected_TruncatesDivergingTail) {
  struct Case {
    const char* name;
    TermHistory proposer_history;
    std::uint64_t start_offset;
  };
  const Case cases[] = {
      // The new proposer's donor had term 2's log only up to 150: 150..300 is not in its log.
      {"longer tail of the same term", history({{0, 0}, {1, 0}, {2, 100}, {5, 150}}), 150},
      // The new proposer's log took term 1 to 250 and never saw term 2: term 2's bytes
      // 100..300 here diverge from it.
      {"diverging later term", history({{0, 0}, {1, 0}, {5, 250}}), 100},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    disk_ = Disk{};
    reboot();
    // Term 1 wrote 0..100, term 2 wrote 100..300.
    start_in_term_1(100);
    elect(Term(2), history({{0, 0}, {1, 0}, {2, 100}}), at(100));
    append(Term(2), 200);
    ASSERT_EQ(acceptor().flush_lsn(), at(300));
    const std::vector<std::uint8_t> kept(
        disk_.wal.begin(), disk_.wal.begin() + static_cast<std::ptrdiff_t>(c.start_offset));

    step_ok(VoteRequest{Term(5)});
    const Ready ready = step_ok(ProposerElected{Term(5), at(c.start_offset), c.proposer_history});
    ASSERT_TRUE(ready.truncate_wal_at.has_value());
    EXPECT_EQ(*ready.truncate_wal_at, at(c.start_offset));
    ASSERT_TRUE(ready.persist.has_value());
    EXPECT_EQ(ready.persist->history, c.proposer_history);
    EXPECT_TRUE(ready.must_sync);
    const auto ack = only_message<AppendResponse>(ready);
    EXPECT_EQ(ack.status, AppendStatus::kAccepted);
    EXPECT_EQ(ack.flush_lsn, at(c.start_offset));
    EXPECT_EQ(acceptor().flush_lsn(), at(c.start_offset));
    EXPECT_EQ(disk_.wal, kept);
    // And the new term's WAL is accepted right at the truncation point.
    append(Term(5), 10);
    EXPECT_EQ(acceptor().flush_lsn(), at(c.start_offset + 10));
  }
}

TEST_F(AcceptorTest, ProposerElected_BelowCommitLsn_IsAnError) {
  start_in_term_1(300, at(200));
  ASSERT_EQ(acceptor().commit_lsn(), at(200));
  step_ok(VoteRequest{Term(2)});
  const AcceptorState before = acceptor().state();
  const std::vector<std::uint8_t> wal_before = disk_.wal;

  Result<Ready> result =
      step(ProposerElected{Term(2), at(150), history({{0, 0}, {1, 0}, {2, 150}})});
  ASSERT_FALSE(result.has_value());
  EXPECT_EQ(result.error().code(), ErrorCode::kFailedPrecondition);
  EXPECT_EQ(acceptor().state(), before);
  EXPECT_EQ(acceptor().flush_lsn(), at(300));
  EXPECT_EQ(disk_.wal, wal_before);
}

// SUSPECTED BUG (consensus/acceptor.cc, handle_elected): when ProposerElected carries a term
// above our promise, the handler writes the new term into state_ before the commit-LSN check,
// and then returns an Error. The Ready holding that term is discarded, so the in-memory state
// (term 2) no longer mirrors the durable state (term 1), breaking "an Error leaves the
// acceptor's state unchanged" (acceptor.h, STYLE.md section 2): the acceptor then answers with a
// promise that a crash takes back.
TEST_F(AcceptorTest, ProposerElected_BelowCommitLsnFromHigherTerm_LeavesStateUnchanged) {
  start_in_term_1(300, at(200));
  const AcceptorState before = acceptor().state();

  Result<Ready> result =
      step(ProposerElected{Term(2), at(150), history({{0, 0}, {1, 0}, {2, 150}})});
  ASSERT_FALSE(result.has_value());
  EXPECT_EQ(result.error().code(), ErrorCode::kFailedPrecondition);
  EXPECT_EQ(acceptor().state(), before);
  EXPECT_EQ(acceptor().term(), Term(1));
  // What a rebooted acceptor would say must be what this one says.
  const Term promised_before_reboot =
      only_message<AcceptorGreeting>(step_ok(ProposerGreeting{kProposerId, test_identity()})).term;
  reboot();
  EXPECT_EQ(
      only_message<AcceptorGreeting>(step_ok(ProposerGreeting{kProposerId, test_identity()})).term,
      promised_before_reboot);
}

TEST_F(AcceptorTest, ProposerElected_FromOlderTerm_IsStaleTerm) {
  start_in_term_1(100);
  step_ok(VoteRequest{Term(3)});
  const AcceptorState before = acceptor().state();
  const Ready ready =
      step_ok(ProposerElected{Term(2), at(100), history({{0, 0}, {1, 0}, {2, 100}})});
  const auto reply = only_message<AppendResponse>(ready);
  EXPECT_EQ(reply.status, AppendStatus::kStaleTerm);
  EXPECT_EQ(reply.term, Term(3));
  EXPECT_FALSE(ready.persist.has_value());
  EXPECT_FALSE(ready.truncate_wal_at.has_value());
  EXPECT_EQ(acceptor().state(), before);
}

// The acceptor recomputes the start point itself and refuses one that differs, without touching
// its log: the proposer's picture of it is stale.
TEST_F(AcceptorTest, ProposerElected_StartPointMismatch_IsRefusedWithoutTruncating) {
  start_in_term_1(300);
  step_ok(VoteRequest{Term(2)});
  const AcceptorState before = acceptor().state();
  const Ready ready =
      step_ok(ProposerElected{Term(2), at(250), history({{0, 0}, {1, 0}, {2, 300}})});
  EXPECT_EQ(only_message<AppendResponse>(ready).status, AppendStatus::kElectedMismatch);
  EXPECT_FALSE(ready.truncate_wal_at.has_value());
  EXPECT_EQ(acceptor().state(), before);
  EXPECT_EQ(acceptor().flush_lsn(), at(300));
}

// A ProposerElected delivered again after appends of its term must not truncate them.
TEST_F(AcceptorTest, ProposerElected_Duplicate_AfterAppends_DoesNotTruncate) {
  const ProposerElected elected{Term(2), kStart, history({{0, 0}, {2, 0}})};
  step_ok(VoteRequest{Term(2)});
  step_ok(elected);
  append(Term(2), 100);
  const Ready ready = step_ok(elected);
  EXPECT_FALSE(ready.truncate_wal_at.has_value());
  EXPECT_EQ(only_message<AppendResponse>(ready).status, AppendStatus::kElectedMismatch);
  EXPECT_EQ(acceptor().flush_lsn(), at(100));
  EXPECT_EQ(disk_.wal.size(), 100u);
}

TEST_F(AcceptorTest, ProposerElected_AboveOurPromise_AdoptsAndPersistsTerm) {
  start_in_term_1(100);
  const Ready ready =
      step_ok(ProposerElected{Term(3), at(100), history({{0, 0}, {1, 0}, {3, 100}})});
  ASSERT_TRUE(ready.persist.has_value());
  EXPECT_EQ(ready.persist->term, Term(3));
  EXPECT_TRUE(ready.must_sync);
  EXPECT_EQ(only_message<AppendResponse>(ready).status, AppendStatus::kAccepted);
  EXPECT_EQ(acceptor().term(), Term(3));
}

TEST_F(AcceptorTest, ProposerElected_MalformedHistory_IsError) {
  struct Case {
    const char* name;
    TermHistory history;
  };
  const Case cases[] = {
      {"does not end with the term", history({{0, 0}, {1, 0}})},
      {"ends with a higher term", history({{0, 0}, {3, 0}})},
      {"terms out of order", history({{0, 0}, {2, 50}, {1, 60}, {2, 100}})},
      {"LSNs going backwards", history({{0, 0}, {1, 50}, {2, 40}})},
      {"empty", history({})},
  };
  start_in_term_1(100);
  step_ok(VoteRequest{Term(2)});
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    const AcceptorState before = acceptor().state();
    Result<Ready> result = step(ProposerElected{Term(2), at(40), c.history});
    ASSERT_FALSE(result.has_value());
    EXPECT_EQ(result.error().code(), ErrorCode::kMalformedMessage);
    EXPECT_EQ(acceptor().state(), before);
    EXPECT_EQ(acceptor().flush_lsn(), at(100));
  }
}

// --- Appends --------------------------------------------------------------------------------

TEST_F(AcceptorTest, AppendRequest_FromOlderTerm_IsRejectedWithOurTerm) {
  start_in_term_1(100);
  step_ok(VoteRequest{Term(3)});
  const Ready ready = step_ok(
      AppendRequest{Term(1), at(100), at(110), at(100), kInvalidLsn, wal_of(Term(1), at(100), 10)});
  const auto reply = only_message<AppendResponse>(ready);
  EXPECT_EQ(reply.status, AppendStatus::kStaleTerm);
  EXPECT_EQ(reply.term, Term(3));
  EXPECT_FALSE(ready.wal_write.has_value());
  EXPECT_FALSE(ready.persist.has_value());
  EXPECT_EQ(acceptor().flush_lsn(), at(100));
  EXPECT_EQ(acceptor().commit_lsn(), kStart);
}

// Voted for term 2, but term 2's history has not been adopted: its WAL cannot be placed yet.
TEST_F(AcceptorTest, AppendRequest_BeforeProposerElected_IsNotElected) {
  start_in_term_1(100);
  step_ok(VoteRequest{Term(2)});
  const Ready ready = step_ok(
      AppendRequest{Term(2), at(100), at(110), kStart, kStart, wal_of(Term(2), at(100), 10)});
  EXPECT_EQ(only_message<AppendResponse>(ready).status, AppendStatus::kNotElected);
  EXPECT_FALSE(ready.wal_write.has_value());
  EXPECT_EQ(acceptor().flush_lsn(), at(100));
}

TEST_F(AcceptorTest, AppendRequest_FromHigherTerm_IsNotElected) {
  start_in_term_1(100);
  const Ready ready = step_ok(
      AppendRequest{Term(2), at(100), at(110), kStart, kStart, wal_of(Term(2), at(100), 10)});
  const auto reply = only_message<AppendResponse>(ready);
  EXPECT_EQ(reply.status, AppendStatus::kNotElected);
  EXPECT_EQ(reply.term, Term(1));
  EXPECT_FALSE(ready.wal_write.has_value());
  EXPECT_EQ(acceptor().term(), Term(1));
}

TEST_F(AcceptorTest, AppendRequest_WithGap_IsOutOfOrder) {
  start_in_term_1(100);
  const Ready ready = step_ok(
      AppendRequest{Term(1), at(120), at(130), kStart, kStart, wal_of(Term(1), at(120), 10)});
  const auto reply = only_message<AppendResponse>(ready);
  EXPECT_EQ(reply.status, AppendStatus::kOutOfOrder);
  EXPECT_EQ(reply.flush_lsn, at(100));  // Where to resend from.
  EXPECT_FALSE(ready.wal_write.has_value());
  EXPECT_EQ(acceptor().flush_lsn(), at(100));
}

// Appends are strictly sequential: an overlap (a resend after a reconnect) is a transient
// refusal, never an overwrite and never an error.
TEST_F(AcceptorTest, AppendRequest_NotAtFlushLsn_IsOutOfOrder) {
  struct Case {
    const char* name;
    std::uint64_t begin;
    std::uint64_t end;
  };
  const Case cases[] = {
      {"gap", 101, 110},
      {"far gap", 5000, 5010},
      {"overlap", 50, 150},
      {"duplicate", 90, 100},
      {"from the start", 0, 100},
      {"heartbeat with a gap", 150, 150},
      {"heartbeat behind", 60, 60},
  };
  start_in_term_1(100);
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    const Ready ready = step_ok(AppendRequest{Term(1), at(c.begin), at(c.end), kStart, kStart,
                                              wal_of(Term(1), at(c.begin), c.end - c.begin)});
    EXPECT_EQ(only_message<AppendResponse>(ready).status, AppendStatus::kOutOfOrder);
    EXPECT_FALSE(ready.wal_write.has_value());
    EXPECT_FALSE(ready.persist.has_value());
    EXPECT_EQ(acceptor().flush_lsn(), at(100));
  }
}

TEST_F(AcceptorTest, AppendRequest_AsksForSyncBeforeAck) {
  start_in_term_1(100);
  const std::vector<std::uint8_t> bytes = wal_of(Term(1), at(100), 50);
  const Ready ready = step_ok(AppendRequest{Term(1), at(100), at(150), kStart, kStart, bytes});
  ASSERT_TRUE(ready.wal_write.has_value());
  EXPECT_EQ(ready.wal_write->begin_lsn, at(100));
  EXPECT_EQ(ready.wal_write->bytes, bytes);
  // The acknowledgement below names 150 as durable: the bytes must be fdatasync'ed first.
  EXPECT_TRUE(ready.must_sync);
  const auto ack = only_message<AppendResponse>(ready);
  EXPECT_EQ(ack.status, AppendStatus::kAccepted);
  EXPECT_EQ(ack.flush_lsn, at(150));
  EXPECT_EQ(acceptor().flush_lsn(), at(150));
}

TEST_F(AcceptorTest, AppendRequest_Heartbeat_WritesNothing) {
  start_in_term_1(100);
  const Ready ready = step_ok(AppendRequest{Term(1), at(100), at(100), kStart, kStart, {}});
  EXPECT_FALSE(ready.wal_write.has_value());
  EXPECT_FALSE(ready.must_sync);
  EXPECT_FALSE(ready.persist.has_value());
  EXPECT_EQ(only_message<AppendResponse>(ready).status, AppendStatus::kAccepted);
  EXPECT_EQ(only_message<AppendResponse>(ready).flush_lsn, at(100));
}

TEST_F(AcceptorTest, AppendRequest_SizeMismatch_IsMalformedError) {
  struct Case {
    const char* name;
    std::uint64_t begin;
    std::uint64_t end;
    std::uint64_t bytes;
  };
  const Case cases[] = {
      {"too few bytes", 100, 110, 9},
      {"too many bytes", 100, 110, 11},
      {"bytes in a heartbeat", 100, 100, 1},
      {"end before begin", 100, 90, 0},
  };
  start_in_term_1(100);
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    const AcceptorState before = acceptor().state();
    Result<Ready> result = step(AppendRequest{Term(1), at(c.begin), at(c.end), kStart, kStart,
                                              wal_of(Term(1), at(c.begin), c.bytes)});
    ASSERT_FALSE(result.has_value());
    EXPECT_EQ(result.error().code(), ErrorCode::kMalformedMessage);
    EXPECT_EQ(acceptor().state(), before);
    EXPECT_EQ(acceptor().flush_lsn(), at(100));
  }
}

// The acceptor adopts the proposer's commit LSN only once it holds all of it, so its own commit
// LSN is always a record boundary of its own log and never beyond its flush LSN.
TEST_F(AcceptorTest, CommitLsn_AdoptedOnlyWhenHeldLocally) {
  struct Case {
    const char* name;
    std::uint64_t append_bytes;     // Bytes carried by the request, at the flush LSN (100).
    std::uint64_t proposer_commit;  // The commit LSN the request carries.
    std::uint64_t expected_commit;
  };
  const Case cases[] = {
      {"heartbeat, commit beyond flush", 0, 150, 0}, {"heartbeat, commit at flush", 0, 100, 100},
      {"heartbeat, commit below flush", 0, 60, 60},  {"append reaching the commit", 50, 150, 150},
      {"append short of the commit", 50, 151, 0},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    disk_ = Disk{};
    reboot();
    start_in_term_1(100);
    const Ready ready =
        step_ok(AppendRequest{Term(1), at(100), at(100 + c.append_bytes), at(c.proposer_commit),
                              kStart, wal_of(Term(1), at(100), c.append_bytes)});
    EXPECT_EQ(only_message<AppendResponse>(ready).status, AppendStatus::kAccepted);
    EXPECT_EQ(acceptor().commit_lsn(), at(c.expected_commit));
    EXPECT_EQ(only_message<AppendResponse>(ready).commit_lsn, at(c.expected_commit));
    EXPECT_LE(acceptor().commit_lsn(), acceptor().flush_lsn());
    // A changed commit LSN is persisted with the same Ready.
    EXPECT_EQ(ready.persist.has_value(), c.expected_commit != 0);
  }
}

TEST_F(AcceptorTest, CommitLsn_NeverMovesBackwards) {
  start_in_term_1(100, at(80));
  ASSERT_EQ(acceptor().commit_lsn(), at(80));
  const Ready ready = step_ok(AppendRequest{Term(1), at(100), at(100), at(40), kStart, {}});
  EXPECT_EQ(only_message<AppendResponse>(ready).status, AppendStatus::kAccepted);
  EXPECT_EQ(acceptor().commit_lsn(), at(80));
  EXPECT_FALSE(ready.persist.has_value());
  // Nor across a truncation by a new proposer: the start point is at or above it.
  step_ok(VoteRequest{Term(2)});
  step_ok(ProposerElected{Term(2), at(90), history({{0, 0}, {1, 0}, {2, 90}})});
  EXPECT_EQ(acceptor().flush_lsn(), at(90));
  EXPECT_EQ(acceptor().commit_lsn(), at(80));
}

TEST_F(AcceptorTest, TruncateLsn_NeverPassesCommitLsn) {
  start_in_term_1(100, at(50));
  step_ok(AppendRequest{Term(1), at(100), at(100), at(50), at(90), {}});
  EXPECT_EQ(acceptor().state().truncate_lsn, at(50));
  step_ok(AppendRequest{Term(1), at(100), at(100), at(100), at(90), {}});
  EXPECT_EQ(acceptor().state().truncate_lsn, at(90));
  // And never moves backwards either.
  step_ok(AppendRequest{Term(1), at(100), at(100), at(100), at(10), {}});
  EXPECT_EQ(acceptor().state().truncate_lsn, at(90));
  EXPECT_EQ(disk_.state.truncate_lsn, at(90));
}

// --- Recovery reads -------------------------------------------------------------------------

TEST_F(AcceptorTest, ReadWal_InOurTerm_AsksDriverToAttachWal) {
  start_in_term_1(100);
  const Ready ready = step_ok(ReadWalRequest{Term(1), at(20), at(100)});
  ASSERT_EQ(ready.messages.size(), 1u);
  EXPECT_TRUE(ready.messages[0].attach_wal);
  const auto response = only_message<ReadWalResponse>(ready);
  EXPECT_EQ(response.term, Term(1));
  EXPECT_EQ(response.begin_lsn, at(20));
  EXPECT_EQ(response.end_lsn, at(100));
  EXPECT_FALSE(ready.persist.has_value());
  EXPECT_FALSE(ready.wal_write.has_value());
  EXPECT_FALSE(ready.truncate_wal_at.has_value());
}

TEST_F(AcceptorTest, ReadWal_FromOtherTerm_ReturnsEmpty) {
  struct Case {
    const char* name;
    std::uint64_t request_term;
  };
  const Case cases[] = {{"older term", 1}, {"newer term", 3}};
  start_in_term_1(100);
  step_ok(VoteRequest{Term(2)});
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    const Ready ready = step_ok(ReadWalRequest{Term(c.request_term), at(0), at(100)});
    ASSERT_EQ(ready.messages.size(), 1u);
    EXPECT_FALSE(ready.messages[0].attach_wal);
    const auto response = only_message<ReadWalResponse>(ready);
    EXPECT_EQ(response.term, Term(2));
    EXPECT_EQ(response.begin_lsn, at(0));
    EXPECT_EQ(response.end_lsn, at(0));
    EXPECT_TRUE(response.wal.empty());
  }
}

TEST_F(AcceptorTest, ReadWal_RangeNotHeld_ReturnsEmpty) {
  struct Case {
    const char* name;
    Lsn begin;
    Lsn end;
  };
  const Case cases[] = {
      {"beyond the flush LSN", at(50), at(101)},
      {"entirely beyond the flush LSN", at(200), at(300)},
      {"before the timeline start", Lsn(kStart.value() - 1), at(10)},
      {"inverted range", at(60), at(50)},
  };
  start_in_term_1(100);
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    const Ready ready = step_ok(ReadWalRequest{Term(1), c.begin, c.end});
    ASSERT_EQ(ready.messages.size(), 1u);
    EXPECT_FALSE(ready.messages[0].attach_wal);
    const auto response = only_message<ReadWalResponse>(ready);
    EXPECT_EQ(response.end_lsn, response.begin_lsn);
    EXPECT_TRUE(response.wal.empty());
  }
}

// --- Any message ----------------------------------------------------------------------------

TEST_F(AcceptorTest, Step_AcceptorMessage_IsMalformedError) {
  const Message cases[] = {
      AcceptorGreeting{NodeId(2), Term(1)},
      VoteResponse{},
      AppendResponse{},
      ReadWalResponse{},
  };
  for (const Message& message : cases) {
    SCOPED_TRACE(std::string(message_name(message)));
    const AcceptorState before = acceptor().state();
    Result<Ready> result = step(message);
    ASSERT_FALSE(result.has_value());
    EXPECT_EQ(result.error().code(), ErrorCode::kMalformedMessage);
    EXPECT_EQ(acceptor().state(), before);
  }
}

// Nothing from a term below the promise changes the acceptor, whatever the message.
TEST_F(AcceptorTest, AnyMessage_FromBelowPromise_ChangesNothing) {
  start_in_term_1(100, at(50));
  step_ok(VoteRequest{Term(4)});
  const Message cases[] = {
      VoteRequest{Term(3)},
      ProposerElected{Term(3), at(60), history({{0, 0}, {1, 0}, {3, 60}})},
      AppendRequest{Term(3), at(100), at(110), at(110), at(110), wal_of(Term(3), at(100), 10)},
      AppendRequest{Term(1), at(100), at(110), at(110), at(110), wal_of(Term(1), at(100), 10)},
      ReadWalRequest{Term(3), at(0), at(100)},
  };
  for (const Message& message : cases) {
    SCOPED_TRACE(std::string(message_name(message)));
    const AcceptorState before = acceptor().state();
    const Ready ready = step_ok(message);
    EXPECT_FALSE(ready.persist.has_value());
    EXPECT_FALSE(ready.wal_write.has_value());
    EXPECT_FALSE(ready.truncate_wal_at.has_value());
    EXPECT_EQ(acceptor().state(), before);
    EXPECT_EQ(acceptor().flush_lsn(), at(100));
  }
}

// --- Reboots (Neon's test_voting) -----------------------------------------------------------

TEST_F(AcceptorTest, Reboot_AfterVote_RefusesSameTermAgain) {
  ASSERT_TRUE(only_message<VoteResponse>(step_ok(VoteRequest{Term(1)})).vote_given);
  reboot();
  const auto vote = only_message<VoteResponse>(step_ok(VoteRequest{Term(1)}));
  EXPECT_FALSE(vote.vote_given);
  EXPECT_EQ(vote.term, Term(1));
}

TEST_F(AcceptorTest, Reboot_AfterVote_RejectsAppendFromLowerTerm) {
  start_in_term_1(100);
  ASSERT_TRUE(only_message<VoteResponse>(step_ok(VoteRequest{Term(2)})).vote_given);
  reboot();
  EXPECT_EQ(acceptor().term(), Term(2));
  const Ready ready = step_ok(
      AppendRequest{Term(1), at(100), at(110), kStart, kStart, wal_of(Term(1), at(100), 10)});
  EXPECT_EQ(only_message<AppendResponse>(ready).status, AppendStatus::kStaleTerm);
  EXPECT_EQ(only_message<AppendResponse>(ready).term, Term(2));
  EXPECT_FALSE(ready.wal_write.has_value());
}

TEST_F(AcceptorTest, Reboot_AfterAppends_KeepsHistoryCommitAndFlush) {
  elect(Term(3), history({{0, 0}, {3, 0}}), kStart);
  append(Term(3), 100, at(60));
  append(Term(3), 50, at(100));
  const AcceptorState persisted = acceptor().state();
  ASSERT_EQ(disk_.state, persisted);
  reboot();
  EXPECT_EQ(acceptor().state(), persisted);
  EXPECT_EQ(acceptor().flush_lsn(), at(150));
  EXPECT_EQ(acceptor().commit_lsn(), at(100));
  EXPECT_EQ(acceptor().last_log_term(), Term(3));
  // The same proposer carries on where the WAL ends, without a new ProposerElected.
  append(Term(3), 10);
  EXPECT_EQ(acceptor().flush_lsn(), at(160));
  // And no one gets the vote for the term it already gave.
  EXPECT_FALSE(only_message<VoteResponse>(step_ok(VoteRequest{Term(3)})).vote_given);
}

TEST_F(AcceptorTest, Reboot_AfterTruncation_ReportsTruncatedLog) {
  start_in_term_1(300);
  step_ok(VoteRequest{Term(2)});
  step_ok(ProposerElected{Term(2), at(120), history({{0, 0}, {1, 0}, {2, 120}})});
  reboot();
  EXPECT_EQ(acceptor().flush_lsn(), at(120));
  const auto vote = only_message<VoteResponse>(step_ok(VoteRequest{Term(3)}));
  EXPECT_EQ(vote.flush_lsn, at(120));
  EXPECT_EQ(vote.history, history({{0, 0}, {1, 0}, {2, 120}}));
}

// A crash before the driver made the vote's Ready durable takes the vote back, and the acceptor
// has not sent it: it may vote again. The promise is exactly as durable as `persist`.
TEST_F(AcceptorTest, Reboot_BeforeVoteWasPersisted_HasNotPromised) {
  Result<Ready> unapplied = acceptor().step(kProposerId, VoteRequest{Term(1)});
  ASSERT_TRUE(unapplied.has_value());
  reboot();
  EXPECT_EQ(acceptor().term(), Term(0));
  EXPECT_TRUE(only_message<VoteResponse>(step_ok(VoteRequest{Term(1)})).vote_given);
}

}  // namespace
}  // namespace sk::consensus
