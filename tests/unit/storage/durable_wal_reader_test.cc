// DurableWalReader, for both WalStores (typed tests): a reader on another thread gets exactly
// the bytes written, across segment files, while the store goes on appending and syncing, and
// after the store itself is gone. Every byte written is a function of its LSN, so any range
// read can be checked on its own.
#include <atomic>
#include <chrono>
#include <thread>

#include <gtest/gtest.h>

#include "tests/unit/storage/wal_store_fixtures.h"

namespace sk::storage {
namespace {

using consensus::Lsn;
using test_support::FileFixture;
using test_support::kStart;
using test_support::MemoryFixture;

constexpr std::uint64_t kSeg = FileFixture::kSegmentBytes;

std::uint8_t byte_at(Lsn lsn) {
  return static_cast<std::uint8_t>((lsn.value() * 2654435761u) >> 11);
}

std::vector<std::uint8_t> wal_at(Lsn begin, std::size_t size) {
  std::vector<std::uint8_t> bytes(size);
  for (std::size_t i = 0; i < size; ++i) {
    bytes[i] = byte_at(begin.plus_bytes(i));
  }
  return bytes;
}

template <class Fixture>
class DurableWalReaderTest : public ::testing::Test {
 protected:
  WalStore& store() { return fixture_.store(); }
  // Appends the WAL of [end, end + size) in pieces of `piece` bytes and syncs.
  void append_synced(std::size_t size, std::size_t piece) {
    for (std::size_t done = 0; done < size;) {
      const std::size_t n = std::min(piece, size - done);
      const Lsn at = store().end_lsn();
      ASSERT_TRUE(store().append(at, wal_at(at, n)).has_value());
      done += n;
    }
    ASSERT_TRUE(store().sync().has_value());
  }
  Result<std::vector<std::uint8_t>> read(const DurableWalReader& reader, Lsn begin,
                                         std::size_t size) {
    std::vector<std::uint8_t> out(size);
    if (Status s = reader.read(begin, out); !s) {
      return s.error();
    }
    return out;
  }

  Fixture fixture_;
};

using Implementations = ::testing::Types<FileFixture, MemoryFixture>;
TYPED_TEST_SUITE(DurableWalReaderTest, Implementations);

TYPED_TEST(DurableWalReaderTest, ReadsExactlyTheBytesWritten_AcrossSegmentFiles) {
  this->append_synced(2 * kSeg + kSeg / 3, 7001);  // Pieces that straddle segment boundaries.
  const auto reader = this->store().durable_reader();
  struct Case {
    const char* name;
    Lsn begin;
    std::size_t size;
  };
  const Case cases[] = {
      {"the first byte", kStart, 1},
      {"inside one append", kStart.plus_bytes(10), 100},
      {"across appends", kStart.plus_bytes(6990), 30},
      {"across a segment boundary", kStart.plus_bytes(kSeg - 5000), 10000},
      {"a whole segment", kStart.plus_bytes(kSeg), kSeg},
      {"three segments up to the end", kStart, 2 * kSeg + kSeg / 3},
      {"nothing", kStart.plus_bytes(77), 0},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    auto bytes = this->read(*reader, c.begin, c.size);
    ASSERT_TRUE(bytes.has_value()) << bytes.error().to_string();
    EXPECT_EQ(*bytes, wal_at(c.begin, c.size));
  }
}

TYPED_TEST(DurableWalReaderTest, RangeNotHeld_IsNotFound) {
  this->append_synced(5000, 1000);
  const auto reader = this->store().durable_reader();
  for (auto [begin, size] : {std::pair(Lsn(kStart.value() - 8), std::size_t{16}),
                             std::pair(kStart.plus_bytes(4990), std::size_t{11}),
                             std::pair(kStart.plus_bytes(kSeg), std::size_t{1})}) {
    auto bytes = this->read(*reader, begin, size);
    ASSERT_FALSE(bytes.has_value()) << begin.to_string();
    EXPECT_EQ(bytes.error().code(), ErrorCode::kNotFound) << bytes.error().to_string();
  }
}

TYPED_TEST(DurableWalReaderTest, FollowsATruncationAboveWhatWasRead) {
  this->append_synced(3 * kSeg / 2, 4096);
  const auto reader = this->store().durable_reader();
  // A new term cuts the uncommitted tail (in the next segment) and writes other bytes there.
  const Lsn cut = kStart.plus_bytes(kSeg + 1000);
  ASSERT_TRUE(this->store().truncate(cut).has_value());
  const std::vector<std::uint8_t> other(3000, 0xAB);
  ASSERT_TRUE(this->store().append(cut, other).has_value());
  ASSERT_TRUE(this->store().sync().has_value());

  auto below = this->read(*reader, kStart, kSeg + 1000);
  ASSERT_TRUE(below.has_value()) << below.error().to_string();
  EXPECT_EQ(*below, wal_at(kStart, kSeg + 1000));
  auto above = this->read(*reader, cut, other.size());
  ASSERT_TRUE(above.has_value()) << above.error().to_string();
  EXPECT_EQ(*above, other);
  EXPECT_FALSE(this->read(*reader, cut, other.size() + 1).has_value());
}

TYPED_TEST(DurableWalReaderTest, OutlivesTheStore) {
  this->append_synced(kSeg + 100, 9000);
  const auto reader = this->store().durable_reader();
  this->fixture_.destroy_store();
  auto bytes = this->read(*reader, kStart.plus_bytes(kSeg - 50), 150);
  ASSERT_TRUE(bytes.has_value()) << bytes.error().to_string();
  EXPECT_EQ(*bytes, wal_at(kStart.plus_bytes(kSeg - 50), 150));
}

// The storage worker's pattern: one thread appends and syncs, then publishes the new durable
// end; readers on two other threads read random ranges below what was published, meanwhile.
TYPED_TEST(DurableWalReaderTest, ReadsWhileAppendsAndSyncsContinue) {
  constexpr std::size_t kAppends = 600;  // 600 x 5 KiB: about three segments.
  constexpr std::size_t kAppendBytes = 5 * 1024;
  constexpr auto kDeadline = std::chrono::seconds(30);
  const auto reader = this->store().durable_reader();
  std::atomic<std::uint64_t> published{kStart.value()};
  std::atomic<bool> writing{true};
  std::atomic<std::uint64_t> reads{0};
  std::atomic<std::uint64_t> mismatches{0};
  std::atomic<std::uint64_t> failures{0};
  const auto deadline = std::chrono::steady_clock::now() + kDeadline;

  auto read_loop = [&](std::uint64_t seed) {
    std::uint64_t state = seed;
    auto next = [&state] {
      state = state * 6364136223846793005u + 1442695040888963407u;
      return state >> 33;
    };
    // Until the writer is done, and a bounded number of reads after it.
    for (int after = 0; after < 50 && std::chrono::steady_clock::now() < deadline;) {
      if (!writing.load()) {
        ++after;
      }
      const Lsn end(published.load());
      const std::uint64_t held = end.bytes_since(kStart);
      if (held == 0) {
        continue;
      }
      const std::uint64_t from = next() % held;
      const std::size_t size =
          static_cast<std::size_t>(std::min<std::uint64_t>(held - from, 1 + next() % (3 * 8192)));
      std::vector<std::uint8_t> out(size);
      if (Status s = reader->read(kStart.plus_bytes(from), out); !s) {
        ++failures;
        continue;
      }
      if (out != wal_at(kStart.plus_bytes(from), size)) {
        ++mismatches;
      }
      ++reads;
    }
  };
  std::thread first(read_loop, 1);
  std::thread second(read_loop, 2);
  for (std::size_t i = 0; i < kAppends && std::chrono::steady_clock::now() < deadline; ++i) {
    const Lsn at = this->store().end_lsn();
    ASSERT_TRUE(this->store().append(at, wal_at(at, kAppendBytes)).has_value());
    ASSERT_TRUE(this->store().sync().has_value());
    published.store(this->store().flush_lsn().value());
  }
  writing.store(false);
  first.join();
  second.join();
  EXPECT_EQ(this->store().end_lsn(), kStart.plus_bytes(kAppends * kAppendBytes));
  EXPECT_EQ(failures.load(), 0u);
  EXPECT_EQ(mismatches.load(), 0u);
  EXPECT_GE(reads.load(), 100u);
}

}  // namespace
}  // namespace sk::storage
