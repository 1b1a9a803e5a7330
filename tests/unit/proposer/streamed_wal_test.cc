// StreamedWal: WAL arriving in arbitrary chunks goes to the proposer as whole records only.
#include "safekeeper/walproposer/streamed_wal.h"

#include <gtest/gtest.h>

#include "safekeeper/pgwal/wal_generator.h"

namespace sk::walproposer {
namespace {

using consensus::Lsn;

constexpr Lsn kStart{0x1000000};  // A segment start.

struct Generated {
  std::vector<std::uint8_t> bytes;  // From kStart.
  std::vector<Lsn> record_ends;
};

// NOOP records of the given payload sizes from kStart, as a primary would write them.
Generated generate(const std::vector<std::size_t>& sizes) {
  auto generator = pgwal::WalGenerator::create(kStart, {});
  EXPECT_TRUE(generator.has_value());
  Generated out;
  for (std::size_t size : sizes) {
    out.record_ends.push_back(generator->append_noop(size).end_lsn);
  }
  out.bytes = generator->take_bytes();
  return out;
}

StreamedWal make() {
  auto wal = StreamedWal::create(kStart, {});
  EXPECT_TRUE(wal.has_value()) << wal.error().to_string();
  return std::move(*wal);
}

std::span<const std::uint8_t> slice(const Generated& g, std::size_t from, std::size_t to) {
  return std::span<const std::uint8_t>(g.bytes).subspan(from, to - from);
}

TEST(StreamedWalTest, PartialRecord_IsHeldUntilItsLastByteArrives) {
  const Generated g = generate({100, 5000, 300});
  StreamedWal wal = make();
  const std::size_t first_end = g.record_ends[0].bytes_since(kStart);
  const std::size_t second_end = g.record_ends[1].bytes_since(kStart);
  // The first record and half the second.
  const std::size_t cut = (first_end + second_end) / 2;
  ASSERT_TRUE(wal.add(kStart, slice(g, 0, cut)).has_value());
  EXPECT_EQ(wal.received_end(), kStart.plus_bytes(cut));
  EXPECT_EQ(wal.take(kStart, 1 << 20),
            std::vector<std::uint8_t>(g.bytes.begin(), g.bytes.begin() + first_end));
  EXPECT_TRUE(wal.take(g.record_ends[0], 1 << 20).empty());
  // The rest, in two chunks.
  ASSERT_TRUE(wal.add(kStart.plus_bytes(cut), slice(g, cut, cut + 7)).has_value());
  ASSERT_TRUE(wal.add(kStart.plus_bytes(cut + 7), slice(g, cut + 7, g.bytes.size())).has_value());
  EXPECT_EQ(wal.take(g.record_ends[0], 1 << 20),
            std::vector<std::uint8_t>(g.bytes.begin() + first_end, g.bytes.end()));
  EXPECT_EQ(wal.taken_end(), g.record_ends[2]);
  EXPECT_EQ(wal.buffered_bytes(), 0u);
}

TEST(StreamedWalTest, Take_StopsAtTheLastRecordThatFits_ButALargeRecordComesAlone) {
  const Generated g = generate({1000, 1000, 20000, 1000});
  StreamedWal wal = make();
  ASSERT_TRUE(wal.add(kStart, g.bytes).has_value());
  // Room for two small records, not three.
  const std::size_t two = g.record_ends[1].bytes_since(kStart);
  EXPECT_EQ(wal.take(kStart, two + 100).size(), two);
  // The 20000-byte record is larger than the room: it comes alone.
  EXPECT_EQ(wal.take(g.record_ends[1], 4096).size(),
            g.record_ends[2].bytes_since(g.record_ends[1]));
  EXPECT_EQ(wal.take(g.record_ends[2], 1 << 20).size(),
            g.record_ends[3].bytes_since(g.record_ends[2]));
}

TEST(StreamedWalTest, ResentOverlap_IsSkipped_AndAGapIsRefused) {
  const Generated g = generate({100, 100});
  StreamedWal wal = make();
  const std::size_t half = g.bytes.size() / 2;
  ASSERT_TRUE(wal.add(kStart, slice(g, 0, half)).has_value());
  // After a reconnection the primary may send again from an earlier point.
  ASSERT_TRUE(wal.add(kStart, g.bytes).has_value());
  EXPECT_EQ(wal.received_end(), kStart.plus_bytes(g.bytes.size()));
  Status gap = wal.add(kStart.plus_bytes(g.bytes.size() + 8), slice(g, 0, 8));
  ASSERT_FALSE(gap.has_value());
  EXPECT_EQ(gap.error().code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(wal.take(kStart, 1 << 20), g.bytes);
}

TEST(StreamedWalTest, BytesThatAreNotWal_AreCorruptionAndNothingPastThemIsHandedOut) {
  Generated g = generate({100, 100});
  const std::size_t first_end = g.record_ends[0].bytes_since(kStart);
  g.bytes[first_end + 30] ^= 0x40;  // Inside the second record: its CRC fails.
  StreamedWal wal = make();
  Status added = wal.add(kStart, g.bytes);
  ASSERT_FALSE(added.has_value());
  EXPECT_EQ(added.error().code(), ErrorCode::kCorruption);
  EXPECT_TRUE(wal.take(kStart, 1 << 20).empty());
}

}  // namespace
}  // namespace sk::walproposer
