// Timeline: the Ready contract carried out against the stores' twins: group commit (one sync per
// batch), nothing released before it is durable, history changes persisted before later WAL,
// commit-only changes once per batch, storage errors stopping the timeline, and reopening.
#include "safekeeper/timeline/timeline.h"

#include <gtest/gtest.h>

#include "safekeeper/storage/memory_control_store.h"
#include "safekeeper/storage/memory_wal_store.h"
#include "tests/unit/consensus/test_timeline.h"

namespace sk::safekeeper {
namespace {

using namespace sk::consensus;
using consensus::test_support::at;
using consensus::test_support::kStart;
using consensus::test_support::test_identity;

const NodeId kNode(1);
const NodeId kProposer(101);

std::vector<std::uint8_t> wal_bytes(std::size_t size, std::uint8_t seed) {
  std::vector<std::uint8_t> bytes(size);
  for (std::size_t i = 0; i < size; ++i) {
    bytes[i] = static_cast<std::uint8_t>(seed + i);
  }
  return bytes;
}

const TermHistory kTerm1History({{Term(0), kStart}, {Term(1), kStart}});

class TimelineTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto created = Timeline::create(kNode, test_identity(), control_, wal_);
    ASSERT_TRUE(created.has_value()) << created.error().to_string();
    timeline_ = std::move(*created);
  }

  void submit_ok(const Message& message) {
    Status status = timeline_->submit(kProposer, message);
    ASSERT_TRUE(status.has_value()) << status.error().to_string();
  }
  std::vector<Outbound> commit_ok() {
    auto replies = timeline_->commit_batch();
    EXPECT_TRUE(replies.has_value()) << replies.error().to_string();
    std::vector<Outbound> out;
    if (replies) {
      for (TaggedReply& reply : *replies) {
        out.push_back(std::move(reply.out));
      }
    }
    return out;
  }
  // Vote for term 1 and adopt its history, each in its own batch.
  void elect_term_1() {
    submit_ok(VoteRequest{Term(1)});
    commit_ok();
    submit_ok(ProposerElected{Term(1), kStart, kTerm1History});
    commit_ok();
  }
  AppendRequest append(std::uint64_t from, std::uint64_t size, std::uint64_t commit = 0) {
    return AppendRequest{Term(1),    at(from), at(from + size),
                         at(commit), kStart,   wal_bytes(size, static_cast<std::uint8_t>(from))};
  }

  storage::MemoryControlStore control_;
  storage::MemoryWalStore wal_{kStart};
  std::unique_ptr<Timeline> timeline_;
};

TEST_F(TimelineTest, Create_SavesTheNewTimelinesState_AndOnlyOnce) {
  auto saved = control_.load(storage::key_of(AcceptorState::for_new_timeline(test_identity())));
  ASSERT_TRUE(saved.has_value());
  EXPECT_EQ(*saved, AcceptorState::for_new_timeline(test_identity()));
  auto again = Timeline::create(kNode, test_identity(), control_, wal_);
  ASSERT_FALSE(again.has_value());
  EXPECT_EQ(again.error().code(), ErrorCode::kAlreadyExists);
}

TEST_F(TimelineTest, Vote_IsDurableBeforeItsAnswerIsReleased) {
  submit_ok(VoteRequest{Term(1)});
  // The term is a promise: saved at once, before the batch is committed.
  EXPECT_EQ(timeline_->durable_state().term, Term(1));
  const std::vector<Outbound> replies = commit_ok();
  ASSERT_EQ(replies.size(), 1u);
  const auto* vote = std::get_if<VoteResponse>(&replies[0].message);
  ASSERT_NE(vote, nullptr);
  EXPECT_TRUE(vote->vote_given);
}

TEST_F(TimelineTest, AppendsOfOneBatch_ShareOneSync_AndAreAnsweredOnlyAfterIt) {
  elect_term_1();
  const std::uint64_t syncs_before = wal_.syncs();
  submit_ok(append(0, 100));
  submit_ok(append(100, 100));
  submit_ok(append(200, 100));
  EXPECT_EQ(wal_.flush_lsn(), kStart);  // Written, not yet durable, nothing released.
  const std::vector<Outbound> replies = commit_ok();
  EXPECT_EQ(wal_.syncs(), syncs_before + 1);
  EXPECT_EQ(wal_.flush_lsn(), at(300));
  ASSERT_EQ(replies.size(), 3u);
  const auto* last = std::get_if<AppendResponse>(&replies[2].message);
  ASSERT_NE(last, nullptr);
  EXPECT_EQ(last->status, AppendStatus::kAccepted);
  EXPECT_EQ(last->flush_lsn, at(300));
}

TEST_F(TimelineTest, CrashBeforeTheBatchCommits_LosesOnlyWhatWasNeverAnswered) {
  elect_term_1();
  submit_ok(append(0, 100));
  commit_ok();
  submit_ok(append(100, 50));
  wal_.crash();  // Power loss before commit_batch: the 50 bytes were never acknowledged.
  auto reopened =
      Timeline::open(kNode, storage::key_of(timeline_->durable_state()), control_, wal_);
  ASSERT_TRUE(reopened.has_value()) << reopened.error().to_string();
  EXPECT_EQ((*reopened)->acceptor().flush_lsn(), at(100));
  EXPECT_EQ((*reopened)->acceptor().term(), Term(1));
}

TEST_F(TimelineTest, CommitOnlyChanges_RideOnTheBatchsWalSync_NotOnTheControlStore) {
  elect_term_1();
  submit_ok(append(0, 100));
  commit_ok();
  const std::uint64_t syncs_before = wal_.syncs();
  submit_ok(append(100, 100, 100));
  submit_ok(append(200, 100, 200));
  EXPECT_EQ(timeline_->durable_state().commit_lsn, kStart);  // Deferred to the batch's end.
  commit_ok();
  EXPECT_EQ(wal_.syncs(), syncs_before + 1);
  EXPECT_EQ(timeline_->durable_state().commit_lsn, at(200));
  ASSERT_TRUE(wal_.positions().has_value());
  EXPECT_EQ(wal_.positions()->commit_lsn, at(200));
  // The control store was not written for it...
  auto saved = control_.load(storage::key_of(timeline_->durable_state()));
  ASSERT_TRUE(saved.has_value() && saved->has_value());
  EXPECT_EQ((*saved)->commit_lsn, kStart);
  // ...and yet a restart finds it.
  wal_.crash();
  auto reopened =
      Timeline::open(kNode, storage::key_of(timeline_->durable_state()), control_, wal_);
  ASSERT_TRUE(reopened.has_value()) << reopened.error().to_string();
  EXPECT_EQ((*reopened)->durable_state().commit_lsn, at(200));
  EXPECT_EQ((*reopened)->acceptor().commit_lsn(), at(200));
}

TEST(TimelineLagTest, CommitFarAheadOfTheControlStore_IsSavedThere) {
  storage::MemoryControlStore control;
  storage::MemoryWalStore wal(kStart);
  auto created =
      Timeline::create(kNode, test_identity(), control, wal, {.control_save_lag_bytes = 150});
  ASSERT_TRUE(created.has_value());
  Timeline& timeline = **created;
  const TermHistory history({{Term(0), kStart}, {Term(1), kStart}});
  for (const Message& message :
       {Message(VoteRequest{Term(1)}), Message(ProposerElected{Term(1), kStart, history}),
        Message(AppendRequest{Term(1), kStart, at(400), kStart, kStart,
                              std::vector<std::uint8_t>(400, 1)})}) {
    ASSERT_TRUE(timeline.submit(kProposer, message).has_value());
    ASSERT_TRUE(timeline.commit_batch().has_value());
  }
  auto saved_commit = [&] {
    auto saved = control.load(storage::key_of(timeline.durable_state()));
    return saved && saved->has_value() ? (*saved)->commit_lsn : Lsn(0);
  };
  for (std::uint64_t commit : {100, 200, 300}) {
    ASSERT_TRUE(
        timeline.submit(kProposer, AppendRequest{Term(1), at(400), at(400), at(commit), kStart, {}})
            .has_value());
    ASSERT_TRUE(timeline.commit_batch().has_value());
  }
  // 100 stays in the WAL only (less than 150 ahead); 200 is saved; 300 is 100 ahead of it.
  EXPECT_EQ(saved_commit(), at(200));
  EXPECT_EQ(timeline.durable_state().commit_lsn, at(300));
}

TEST_F(TimelineTest, CommitChangeOfAnUncommittedBatch_IsLostWithIt) {
  elect_term_1();
  submit_ok(append(0, 100));
  commit_ok();
  submit_ok(append(100, 0, 100));  // A heartbeat moving the commit LSN.
  wal_.crash();
  auto reopened =
      Timeline::open(kNode, storage::key_of(timeline_->durable_state()), control_, wal_);
  ASSERT_TRUE(reopened.has_value()) << reopened.error().to_string();
  EXPECT_EQ((*reopened)->acceptor().commit_lsn(), kStart);
}

TEST_F(TimelineTest, NewHistory_IsSavedBeforeWalWrittenUnderIt) {
  submit_ok(VoteRequest{Term(1)});
  submit_ok(ProposerElected{Term(1), kStart, kTerm1History});
  // In the same batch: the history is saved at once, before the append below is written.
  EXPECT_EQ(timeline_->durable_state().history, kTerm1History);
  submit_ok(append(0, 100));
  wal_.crash();
  auto reopened =
      Timeline::open(kNode, storage::key_of(timeline_->durable_state()), control_, wal_);
  ASSERT_TRUE(reopened.has_value()) << reopened.error().to_string();
  EXPECT_EQ((*reopened)->acceptor().state().history, kTerm1History);
}

// g1 {1,2,3} -> {1,2,4}: a change that keeps this node (1).
Configuration joint_keeping_this_node() {
  return Configuration{Generation(1),
                       {NodeId(1), NodeId(2), NodeId(3)},
                       {NodeId(1), NodeId(2), NodeId(4)},
                       {{NodeId(4), "sk-4:5454"}}};
}

TEST_F(TimelineTest, SetConfiguration_IsDurableWhenItReturns_AndARefusalChangesNothing) {
  ASSERT_TRUE(timeline_->set_configuration(joint_keeping_this_node()).has_value());
  EXPECT_EQ(timeline_->durable_state().configuration, joint_keeping_this_node());
  auto reopened =
      Timeline::open(kNode, storage::key_of(timeline_->durable_state()), control_, wal_);
  ASSERT_TRUE(reopened.has_value()) << reopened.error().to_string();
  EXPECT_EQ((*reopened)->acceptor().state().configuration, joint_keeping_this_node());

  Status older = timeline_->set_configuration(Configuration::of({NodeId(1), NodeId(2)}));
  ASSERT_FALSE(older.has_value());
  EXPECT_EQ(older.error().code(), ErrorCode::kFailedPrecondition);
  EXPECT_FALSE(timeline_->failure().has_value());
  EXPECT_EQ(timeline_->durable_state().configuration, joint_keeping_this_node());
}

TEST_F(TimelineTest, ConfigurationAdoptedFromAGreeting_IsSavedBeforeTheReplyLeaves) {
  submit_ok(ProposerGreeting{kProposer, test_identity(), joint_keeping_this_node()});
  // A configuration is a promise too (older generations are refused from now on): saved at once,
  // not deferred with the commit LSN.
  EXPECT_EQ(timeline_->durable_state().configuration, joint_keeping_this_node());
  auto saved = control_.load(storage::key_of(timeline_->durable_state()));
  ASSERT_TRUE(saved.has_value() && saved->has_value());
  EXPECT_EQ((*saved)->configuration, joint_keeping_this_node());
  commit_ok();
}

TEST_F(TimelineTest, ReadWal_RepliesCarryTheBytes) {
  elect_term_1();
  submit_ok(append(0, 300));
  commit_ok();
  submit_ok(ReadWalRequest{Term(1), at(100), at(250)});
  const std::vector<Outbound> replies = commit_ok();
  ASSERT_EQ(replies.size(), 1u);
  const auto* response = std::get_if<ReadWalResponse>(&replies[0].message);
  ASSERT_NE(response, nullptr);
  const std::vector<std::uint8_t> all = wal_bytes(300, 0);
  EXPECT_EQ(response->wal, std::vector<std::uint8_t>(all.begin() + 100, all.begin() + 250));
  EXPECT_FALSE(replies[0].attach_wal);
}

TEST_F(TimelineTest, StorageError_StopsTheTimelineAndReleasesNothing) {
  elect_term_1();
  submit_ok(append(0, 100));
  wal_.fail_appends(ErrorCode::kNoSpace);
  Status failed = timeline_->submit(kProposer, append(100, 100));
  ASSERT_FALSE(failed.has_value());
  EXPECT_EQ(failed.error().code(), ErrorCode::kNoSpace);
  ASSERT_TRUE(timeline_->failure().has_value());
  // Everything after is refused with the same error, the earlier append's reply included.
  wal_.clear_faults();
  Status later = timeline_->submit(kProposer, VoteRequest{Term(2)});
  ASSERT_FALSE(later.has_value());
  EXPECT_EQ(later.error().code(), ErrorCode::kNoSpace);
  auto replies = timeline_->commit_batch();
  ASSERT_FALSE(replies.has_value());
  EXPECT_EQ(timeline_->durable_state().term, Term(1));
}

TEST_F(TimelineTest, BadMessage_ChangesNothingAndDoesNotStopTheTimeline) {
  elect_term_1();
  AppendRequest malformed = append(0, 100);
  malformed.wal.resize(10);  // Says 100 bytes, carries 10.
  Status status = timeline_->submit(kProposer, malformed);
  ASSERT_FALSE(status.has_value());
  EXPECT_EQ(status.error().code(), ErrorCode::kMalformedMessage);
  EXPECT_FALSE(timeline_->failure().has_value());
  submit_ok(append(0, 100));
  EXPECT_EQ(commit_ok().size(), 1u);
}

TEST(TimelineOpenTest, WalEndingBelowTheSavedCommit_IsCorruption) {
  storage::MemoryControlStore control;
  storage::MemoryWalStore wal(kStart);
  AcceptorState state = AcceptorState::for_new_timeline(test_identity());
  state.term = Term(1);
  state.history = kTerm1History;
  state.commit_lsn = at(100);
  ASSERT_TRUE(control.save(state).has_value());
  ASSERT_TRUE(wal.append(kStart, wal_bytes(40, 1)).has_value());
  ASSERT_TRUE(wal.sync().has_value());
  auto opened = Timeline::open(kNode, storage::key_of(state), control, wal);
  ASSERT_FALSE(opened.has_value());
  EXPECT_EQ(opened.error().code(), ErrorCode::kCorruption);
  EXPECT_NE(opened.error().message().find("below the saved commit LSN"), std::string::npos)
      << opened.error().message();
}

TEST_F(TimelineTest, StoreWithUnsyncedWal_IsNotOpened_UntilItIsRecovered) {
  elect_term_1();
  submit_ok(append(0, 100));
  wal_.fail_next_sync();
  ASSERT_FALSE(timeline_->commit_batch().has_value());
  const storage::TimelineKey key = storage::key_of(timeline_->durable_state());
  timeline_.reset();
  // The store still holds the 100 bytes it failed to sync: the acceptor would append after
  // its flush LSN, below the store's end.
  auto refused = Timeline::open(kNode, key, control_, wal_);
  ASSERT_FALSE(refused.has_value());
  EXPECT_EQ(refused.error().code(), ErrorCode::kFailedPrecondition);
  wal_.crash();
  auto reopened = Timeline::open(kNode, key, control_, wal_);
  ASSERT_TRUE(reopened.has_value()) << reopened.error().to_string();
  EXPECT_EQ((*reopened)->acceptor().flush_lsn(), kStart);
}

TEST(TimelineOpenTest, NoSavedState_IsNotFound) {
  storage::MemoryControlStore control;
  storage::MemoryWalStore wal(kStart);
  auto opened = Timeline::open(
      kNode, storage::key_of(AcceptorState::for_new_timeline(test_identity())), control, wal);
  ASSERT_FALSE(opened.has_value());
  EXPECT_EQ(opened.error().code(), ErrorCode::kNotFound);
}

}  // namespace
}  // namespace sk::safekeeper
