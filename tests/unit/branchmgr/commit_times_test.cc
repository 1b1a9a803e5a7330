// The commit-time index: "as of T" by recovery_target_time's rule, along an ancestry, the same
// whether the commits asked about are in the open piece or in closed pieces read back (each
// case runs with pieces larger than all the WAL, and with a piece closed at every commit).
#include "branchmgr/commit_times.h"

#include <gtest/gtest.h>

namespace sk::branchmgr {
namespace {

using consensus::Lsn;

constexpr std::int64_t kNow = 1'000'000;

// A timeline's commits as its WAL holds them, and the index built from them.
struct Indexed {
  Indexed(Lsn begin, std::uint64_t piece_bytes) : times(begin, piece_bytes) {}
  void add(std::int64_t unix_us, Lsn end) {
    wal.push_back({unix_us, end});
    times.add(unix_us, end);
  }
  // Reads a piece back as the indexer decodes it: the commits ending in (begin, end].
  CommitReader reader() {
    return [this](Lsn begin, Lsn end) -> Result<std::vector<Commit>> {
      ++reads;
      std::vector<Commit> out;
      for (const Commit& c : wal) {
        if (c.end_lsn > begin && c.end_lsn <= end) {
          out.push_back(c);
        }
      }
      return out;
    };
  }
  std::vector<Commit> wal;
  CommitTimes times;
  int reads = 0;
};

class CommitTimesTest : public ::testing::TestWithParam<std::uint64_t> {
 protected:
  Indexed indexed(Lsn begin = Lsn(0x100)) { return Indexed(begin, GetParam()); }
  static LsnForTimestamp resolve(Indexed& index, std::int64_t t, Lsn limit = Lsn(UINT64_MAX)) {
    const AncestryLevel level{&index.times, limit, index.reader()};
    auto result = lsn_for_timestamp(std::span(&level, 1), t, kNow);
    EXPECT_TRUE(result.has_value()) << result.error().to_string();
    return result ? *result : LsnForTimestamp{};
  }
};

// Pieces larger than every test's WAL (all commits open), and a piece closed at each commit.
INSTANTIATE_TEST_SUITE_P(PieceSizes, CommitTimesTest, ::testing::Values(1U << 30, 1U));

TEST_P(CommitTimesTest, AsOfT_IsTheEndOfTheLastCommitBeforeTheFirstLaterOne) {
  Indexed commits = indexed();
  commits.add(100, Lsn(0x1000));
  commits.add(200, Lsn(0x2000));
  commits.add(300, Lsn(0x3000));

  EXPECT_EQ(resolve(commits, 99).kind, TimestampKind::kBeforeData);
  EXPECT_FALSE(resolve(commits, 99).lsn.has_value());
  EXPECT_EQ(resolve(commits, 100).lsn, Lsn(0x1000));  // Inclusive, as recovery_target_time.
  EXPECT_EQ(resolve(commits, 250).kind, TimestampKind::kPast);
  EXPECT_EQ(resolve(commits, 250).lsn, Lsn(0x2000));
  EXPECT_EQ(resolve(commits, 300).kind, TimestampKind::kPresent);
  EXPECT_EQ(resolve(commits, 300).lsn, Lsn(0x3000));
  EXPECT_EQ(resolve(commits, kNow + 1).kind, TimestampKind::kFuture);
  EXPECT_EQ(resolve(commits, kNow + 1).lsn, Lsn(0x3000));
  Indexed empty = indexed();
  EXPECT_EQ(resolve(empty, 500).kind, TimestampKind::kBeforeData);
  EXPECT_EQ(commits.times.commits(), 3U);
}

TEST_P(CommitTimesTest, OutOfOrderTimes_StopAtTheFirstLaterCommitInWalOrder) {
  Indexed commits = indexed();
  commits.add(100, Lsn(0x1000));
  commits.add(300, Lsn(0x2000));  // Committed "later" but written first.
  commits.add(250, Lsn(0x3000));
  // Replay as of 260 stops before the commit of time 300, though 250 came after it.
  EXPECT_EQ(resolve(commits, 260).lsn, Lsn(0x1000));
  EXPECT_EQ(resolve(commits, 300).lsn, Lsn(0x3000));
}

TEST_P(CommitTimesTest, Ancestry_ParentsCommitsCountOnlyUpToTheBranchPoint) {
  Indexed parent = indexed();
  parent.add(100, Lsn(0x1000));
  parent.add(200, Lsn(0x2000));
  parent.add(300, Lsn(0x3000));  // After the branch point: not the child's history.
  Indexed child = indexed(Lsn(0x2000));
  child.add(400, Lsn(0x2800));
  child.add(500, Lsn(0x2900));
  const std::vector<AncestryLevel> chain{{&parent.times, Lsn(0x2000), parent.reader()},
                                         {&child.times, Lsn(UINT64_MAX), child.reader()}};
  auto as_of = [&](std::int64_t t) { return lsn_for_timestamp(chain, t, kNow).value(); };

  EXPECT_EQ(as_of(150).lsn, Lsn(0x1000));
  // 300 was committed on the parent after the branch point: the child's history has nothing
  // between 200 and 400.
  EXPECT_EQ(as_of(350).lsn, Lsn(0x2000));
  EXPECT_EQ(as_of(350).kind, TimestampKind::kPast);
  EXPECT_EQ(as_of(450).lsn, Lsn(0x2800));
  EXPECT_EQ(as_of(600).kind, TimestampKind::kPresent);
  EXPECT_EQ(as_of(50).kind, TimestampKind::kBeforeData);
  // A level without an index (no WAL indexed there) adds nothing.
  const std::vector<AncestryLevel> gap{{&parent.times, Lsn(0x2000), parent.reader()},
                                       {nullptr, Lsn(UINT64_MAX), {}}};
  EXPECT_EQ(lsn_for_timestamp(gap, 600, kNow).value().lsn, Lsn(0x2000));
}

TEST(CommitTimesPiecesTest, ClosedPieces_KeepASummaryOnly_AndAQuestionReadsOnePieceBack) {
  Indexed commits(Lsn(0x100), 0x1000);  // A piece closes once it spans 4 KiB.
  for (int i = 1; i <= 64; ++i) {
    commits.add(i * 10, Lsn(0x100 + static_cast<std::uint64_t>(i) * 0x200));
  }
  // 64 commits of 512 bytes: a piece per 8 commits, all closed.
  ASSERT_EQ(commits.times.closed().size(), 8U);
  EXPECT_EQ(commits.times.commits(), 64U);
  EXPECT_EQ(commits.times.memory_bytes(), 8 * sizeof(CommitPiece));
  EXPECT_EQ(commits.times.closed()[1].begin, commits.times.closed()[0].end);
  EXPECT_EQ(commits.times.closed()[3].max_us, 320);

  const AncestryLevel level{&commits.times, Lsn(UINT64_MAX), commits.reader()};
  // Between the 20th and 21st commits: one piece read back.
  auto as_of = lsn_for_timestamp(std::span(&level, 1), 205, kNow);
  ASSERT_TRUE(as_of.has_value());
  EXPECT_EQ(as_of->lsn, Lsn(0x100 + 20 * 0x200));
  EXPECT_LE(commits.reads, 2);
  // The first commit of a piece: the commit before it ends its predecessor.
  EXPECT_EQ(lsn_for_timestamp(std::span(&level, 1), 165, kNow)->lsn, Lsn(0x100 + 16 * 0x200));

  // The pieces closed since last asked, once.
  EXPECT_EQ(commits.times.take_newly_closed().size(), 8U);
  EXPECT_TRUE(commits.times.take_newly_closed().empty());

  // Forgotten pieces are gone from the answers: before them is "no data" now.
  const Lsn fourth = commits.times.closed()[3].begin;
  EXPECT_EQ(commits.times.piece_begin_for(fourth.plus_bytes(0x200)), fourth);
  commits.times.forget_below(fourth);
  EXPECT_EQ(commits.times.begin(), fourth);
  EXPECT_EQ(commits.times.commits(), 40U);
  EXPECT_EQ(lsn_for_timestamp(std::span(&level, 1), 100, kNow)->kind, TimestampKind::kBeforeData);
  EXPECT_EQ(lsn_for_timestamp(std::span(&level, 1), 305, kNow)->lsn, Lsn(0x100 + 30 * 0x200));
}

TEST(CommitTimesPiecesTest, AResumedIndex_AnswersAsTheOneItWasSavedFrom) {
  Indexed commits(Lsn(0x100), 0x1000);
  for (int i = 1; i <= 20; ++i) {
    commits.add(i * 10, Lsn(0x100 + static_cast<std::uint64_t>(i) * 0x200));
  }
  CommitTimes resumed = CommitTimes::resume(commits.times.closed(), 0x1000);
  EXPECT_EQ(resumed.open_begin(), commits.times.closed().back().end);
  EXPECT_EQ(resumed.commits(), 16U);  // The open piece's 4 are decoded again after a resume.
  const AncestryLevel level{&resumed, Lsn(UINT64_MAX), commits.reader()};
  EXPECT_EQ(lsn_for_timestamp(std::span(&level, 1), 75, kNow)->lsn, Lsn(0x100 + 7 * 0x200));
}

TEST(CommitTimesPiecesTest, APieceThatReadsBackOtherwise_IsCorruption) {
  Indexed commits(Lsn(0x100), 0x400);
  commits.add(10, Lsn(0x300));
  commits.add(20, Lsn(0x500));
  commits.add(30, Lsn(0x700));
  commits.wal.erase(commits.wal.begin());  // The WAL no longer holds what the summary counted.
  const AncestryLevel level{&commits.times, Lsn(UINT64_MAX), commits.reader()};
  auto as_of = lsn_for_timestamp(std::span(&level, 1), 15, kNow);
  ASSERT_FALSE(as_of.has_value());
  EXPECT_EQ(as_of.error().code(), ErrorCode::kCorruption);
}

}  // namespace
}  // namespace sk::branchmgr
