// CommitTimeIndexer on a node over a temporary data directory, with PostgreSQL WAL made by
// WalGenerator: answers as of a time inside a closed piece (read back from the WAL), and after a
// restart resumes from the pieces it saved in LMDB instead of decoding the WAL again.
#include "safekeeper/branchlog/commit_time_indexer.h"

#include <gtest/gtest.h>

#include "branchmgr/rfc3339.h"
#include "safekeeper/pgwal/wal_generator.h"
#include "tests/support/temp_dir.h"
#include "tests/unit/consensus/test_timeline.h"

namespace sk::safekeeper {
namespace {

using namespace sk::consensus;
using consensus::test_support::kStart;
using consensus::test_support::test_identity;

constexpr std::uint64_t kPieceBytes = 64 << 10;
constexpr std::int64_t kFirstCommitPgUs = 800'000'000'000'000;  // 2025, in PostgreSQL's epoch.

class CommitTimeIndexerTest : public ::testing::Test {
 protected:
  std::unique_ptr<Node> open_node() {
    Node::Report report;
    NodeOptions options;
    options.node_id = NodeId(1);
    options.data_dir = dir_.path();
    auto node = Node::open(options, report);
    EXPECT_TRUE(node.has_value()) << node.error().to_string();
    return node ? std::move(*node) : nullptr;
  }

  // `bytes` of WAL from kStart: 400-byte records, each followed by a commit, commits one
  // millisecond apart; committed to the end. The commits' ends, in order.
  std::vector<Lsn> write_wal(Node& node, std::uint64_t bytes) {
    auto created = node.create_timeline(test_identity());
    EXPECT_TRUE(created.has_value()) << created.error().to_string();
    Timeline& timeline = **created;
    pgwal::WalGeneratorOptions options;
    options.system_id = test_identity().system_id;
    auto generator = pgwal::WalGenerator::create(kStart, options);
    EXPECT_TRUE(generator.has_value());
    const TermHistory history({{Term(0), kStart}, {Term(1), kStart}});
    submit(timeline, VoteRequest{Term(1)});
    submit(timeline, ProposerElected{Term(1), kStart, history});
    std::vector<Lsn> commits;
    Lsn end = kStart;
    while (end.bytes_since(kStart) < bytes) {
      for (int i = 0; i < 1024; ++i) {
        generator->append_noop(400);
        const auto xact_time = kFirstCommitPgUs + static_cast<std::int64_t>(commits.size()) * 1000;
        commits.push_back(generator->append_commit(1000 + commits.size(), xact_time).end_lsn);
      }
      const Lsn begin = end;
      end = generator->position();
      submit(timeline, AppendRequest{Term(1), begin, end, end, kStart, generator->take_bytes()});
    }
    return commits;
  }

  static void submit(Timeline& timeline, Message message) {
    ASSERT_TRUE(timeline.submit(NodeId(101), message).has_value());
    ASSERT_TRUE(timeline.commit_batch().has_value());
  }

  // As of one microsecond before commit `n`: the end of commit n - 1.
  static Result<branchmgr::LsnForTimestamp> as_of_before(const CommitTimeIndexer& indexer,
                                                         std::size_t n) {
    const storage::TimelineKey key{test_identity().tenant_id, test_identity().timeline_id};
    const CommitTimeIndexer::Indexed* indexed = indexer.indexed(key);
    if (indexed == nullptr || !indexed->commits) {
      return Error(ErrorCode::kNotFound, "not indexed");
    }
    const branchmgr::AncestryLevel level{&*indexed->commits, kMaxLsn, indexer.reader(key)};
    const std::int64_t t = branchmgr::kPostgresEpochUnixUs + kFirstCommitPgUs +
                           static_cast<std::int64_t>(n) * 1000 - 1;
    return branchmgr::lsn_for_timestamp(std::span(&level, 1), t, t + 1'000'000);
  }

  sk::testing::TempDir dir_{"sk_commit_time_indexer"};
};

TEST_F(CommitTimeIndexerTest, AnswersInsideAClosedPiece_AndResumesFromSavedPiecesAfterARestart) {
  const storage::TimelineKey key{test_identity().tenant_id, test_identity().timeline_id};
  std::vector<Lsn> commits;
  std::size_t pieces = 0;
  {
    auto node = open_node();
    ASSERT_NE(node, nullptr);
    commits = write_wal(*node, 24 << 20);  // Past the 16 MiB one catch_up() decodes.
    CommitTimeIndexer indexer(*node, kPieceBytes);
    EXPECT_TRUE(indexer.catch_up());  // More than one call's worth.
    for (int i = 0; i < 10 && indexer.catch_up(); ++i) {
    }
    EXPECT_EQ(indexer.indexed_lsn(key), node->timeline(key)->flush_lsn());
    const CommitTimeIndexer::Indexed* indexed = indexer.indexed(key);
    ASSERT_NE(indexed, nullptr);
    ASSERT_TRUE(indexed->commits.has_value());
    EXPECT_EQ(indexed->commits->commits(), commits.size());
    pieces = indexed->commits->closed().size();
    EXPECT_GT(pieces, 300U);  // 24 MiB in 64 KiB pieces.
    // A summary per piece, not an entry per commit.
    EXPECT_LT(indexed->commits->memory_bytes(), commits.size() * sizeof(branchmgr::Commit) / 4);

    auto answer = as_of_before(indexer, 1234);
    ASSERT_TRUE(answer.has_value()) << answer.error().to_string();
    EXPECT_EQ(answer->kind, branchmgr::TimestampKind::kPast);
    EXPECT_EQ(answer->lsn, commits[1233]);
  }
  // Pieces are saved at most a second apart, and the rest when the indexer stops: a restart
  // finds them all and decodes on from the last.
  auto node = open_node();
  ASSERT_NE(node, nullptr);
  CommitTimeIndexer indexer(*node, kPieceBytes);
  indexer.catch_up();
  // One call decodes at most 16 MiB: resumed near the end, it is done at once.
  EXPECT_EQ(indexer.indexed_lsn(key), node->timeline(key)->flush_lsn());
  const CommitTimeIndexer::Indexed* indexed = indexer.indexed(key);
  ASSERT_NE(indexed, nullptr);
  ASSERT_TRUE(indexed->commits.has_value());
  EXPECT_EQ(indexed->commits->closed().size(), pieces);
  auto answer = as_of_before(indexer, 1234);
  ASSERT_TRUE(answer.has_value()) << answer.error().to_string();
  EXPECT_EQ(answer->lsn, commits[1233]);
  EXPECT_EQ(as_of_before(indexer, commits.size() - 1)->lsn, commits[commits.size() - 2]);
}

TEST_F(CommitTimeIndexerTest, ForgottenPieces_AreGoneFromTheStoreToo) {
  const storage::TimelineKey key{test_identity().tenant_id, test_identity().timeline_id};
  {
    auto node = open_node();
    ASSERT_NE(node, nullptr);
    write_wal(*node, 4 << 20);
    CommitTimeIndexer indexer(*node, kPieceBytes);
    while (indexer.catch_up()) {
    }
    const Lsn forget = indexer.indexed(key)->commits->closed()[10].begin;
    indexer.forget_below(key, forget);
    EXPECT_EQ(indexer.indexed(key)->commits->begin(), forget);
  }
  auto node = open_node();
  ASSERT_NE(node, nullptr);
  auto saved = CommitTimeStore(node->lmdb()).load_all();
  ASSERT_TRUE(saved.has_value()) << saved.error().to_string();
  ASSERT_TRUE(saved->contains(key));
  EXPECT_GT(saved->at(key).front().begin, kStart);
  EXPECT_EQ(saved->at(key).front().begin.value() % 8, 0U);
}

}  // namespace
}  // namespace sk::safekeeper
