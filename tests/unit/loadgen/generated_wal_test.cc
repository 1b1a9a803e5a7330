// GeneratedWal: records generated ahead are the records take() would have generated itself, the
// outstanding bound holds, and a commit yields the digest of exactly the WAL it covers.
#include "safekeeper/loadgen/generated_wal.h"

#include <cstdint>
#include <vector>

#include <gtest/gtest.h>

#include "safekeeper/storage/wal_digest.h"

namespace sk::loadgen {
namespace {

using consensus::Lsn;
const Lsn kStart = Lsn(0x1000000);  // A segment start, as sk-loadgen gets from its election.

GeneratedWalOptions options(std::size_t outstanding) {
  return {.record_bytes = 3000, .max_outstanding = outstanding};
}

// Takes and commits everything, `rounds` times, optionally generating ahead between rounds.
// Returns the bytes in the order taken.
std::vector<std::uint8_t> run(GeneratedWal& wal, int rounds, bool ahead) {
  std::vector<std::uint8_t> all;
  Lsn end = kStart;
  const auto now = GeneratedWal::Clock::now();
  for (int i = 0; i < rounds; ++i) {
    std::vector<std::uint8_t> bytes = wal.take(end, 128 * 1024, now);
    all.insert(all.end(), bytes.begin(), bytes.end());
    end = end.plus_bytes(bytes.size());
    if (ahead) {
      wal.generate_ahead();
    }
    wal.committed(end, now);
  }
  return all;
}

TEST(GeneratedWalTest, RecordsGeneratedAheadAreTheSameWal) {
  GeneratedWal lazy(options(4));
  GeneratedWal eager(options(4));
  ASSERT_TRUE(lazy.begin(kStart));
  ASSERT_TRUE(eager.begin(kStart));
  eager.generate_ahead();
  const std::vector<std::uint8_t> lazy_bytes = run(lazy, 10, false);
  const std::vector<std::uint8_t> eager_bytes = run(eager, 10, true);
  ASSERT_FALSE(lazy_bytes.empty());
  EXPECT_EQ(eager_bytes, lazy_bytes);
  EXPECT_EQ(eager.committed_lsn(), lazy.committed_lsn());
  storage::WalDigest digest;
  digest.update(lazy_bytes);
  EXPECT_EQ(lazy.committed_digest().value(), digest.value());
  EXPECT_EQ(eager.committed_digest().value(), digest.value());
}

TEST(GeneratedWalTest, TakesNoMoreThanTheOutstandingBound) {
  GeneratedWal wal(options(3));
  ASSERT_TRUE(wal.begin(kStart));
  wal.generate_ahead();
  const auto now = GeneratedWal::Clock::now();
  const std::vector<std::uint8_t> first = wal.take(kStart, 1 << 20, now);
  EXPECT_GE(first.size(), 3u * 3000u);
  EXPECT_LT(first.size(), 4u * 3000u);  // Three records of 3000 bytes plus their headers.
  EXPECT_TRUE(wal.take(kStart.plus_bytes(first.size()), 1 << 20, now).empty());
  // A commit of part of them frees room for exactly that many.
  wal.committed(kStart.plus_bytes(1), now);
  EXPECT_EQ(wal.committed_lsn(), kStart);  // No record ends at or before that LSN.
  wal.committed(kStart.plus_bytes(first.size()), now);
  EXPECT_EQ(wal.latencies_us().size(), 3u);
}

TEST(GeneratedWalTest, StopsAtTheTotalAndAfterFinish) {
  GeneratedWal wal({.record_bytes = 3000, .total_bytes = 10'000});
  ASSERT_TRUE(wal.begin(kStart));
  wal.generate_ahead();
  const auto now = GeneratedWal::Clock::now();
  const std::vector<std::uint8_t> bytes = wal.take(kStart, 1 << 20, now);
  EXPECT_GE(bytes.size(), 10'000u);
  EXPECT_LT(bytes.size(), 10'000u + 3100u);
  EXPECT_FALSE(wal.done());  // Handed over, not committed.
  wal.committed(kStart.plus_bytes(bytes.size()), now);
  EXPECT_TRUE(wal.done());

  GeneratedWal finished(options(0));
  ASSERT_TRUE(finished.begin(kStart));
  finished.generate_ahead();
  finished.finish();
  EXPECT_TRUE(finished.take(kStart, 1 << 20, now).empty());
  EXPECT_TRUE(finished.done());
}

}  // namespace
}  // namespace sk::loadgen
