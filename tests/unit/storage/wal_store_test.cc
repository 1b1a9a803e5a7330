// WalStore: the contract the file store and its in-memory twin both keep (typed tests), then
// the twin's crash and fault injection.
#include <memory>

#include <gtest/gtest.h>

#include "tests/unit/storage/wal_store_fixtures.h"

namespace sk::storage {
namespace {

using consensus::Lsn;
using test_support::bytes_of;
using test_support::FileFixture;
using test_support::kStart;
using test_support::MemoryFixture;

template <class Fixture>
class WalStoreContractTest : public ::testing::Test {
 protected:
  Fixture fixture_;
};

using Implementations = ::testing::Types<FileFixture, MemoryFixture>;
TYPED_TEST_SUITE(WalStoreContractTest, Implementations);

TYPED_TEST(WalStoreContractTest, AppendMovesTheEnd_SyncMovesTheFlush) {
  WalStore& store = this->fixture_.store();
  EXPECT_EQ(store.start_lsn(), kStart);
  ASSERT_TRUE(store.append(kStart, bytes_of(100, 1)).has_value());
  EXPECT_EQ(store.end_lsn(), kStart.plus_bytes(100));
  EXPECT_EQ(store.flush_lsn(), kStart);
  ASSERT_TRUE(store.sync().has_value());
  EXPECT_EQ(store.flush_lsn(), kStart.plus_bytes(100));
}

TYPED_TEST(WalStoreContractTest, Read_ReturnsTheBytesOfAnyRange) {
  WalStore& store = this->fixture_.store();
  const std::vector<std::uint8_t> first = bytes_of(300, 1);
  const std::vector<std::uint8_t> second = bytes_of(200, 2);
  ASSERT_TRUE(store.append(kStart, first).has_value());
  ASSERT_TRUE(store.append(kStart.plus_bytes(300), second).has_value());
  auto middle = store.read(kStart.plus_bytes(250), kStart.plus_bytes(350));
  ASSERT_TRUE(middle.has_value()) << middle.error().to_string();
  std::vector<std::uint8_t> expected(first.begin() + 250, first.end());
  expected.insert(expected.end(), second.begin(), second.begin() + 50);
  EXPECT_EQ(*middle, expected);
  auto empty = store.read(kStart.plus_bytes(10), kStart.plus_bytes(10));
  ASSERT_TRUE(empty.has_value());
  EXPECT_TRUE(empty->empty());
}

TYPED_TEST(WalStoreContractTest, ReadOutsideTheLog_IsInvalidArgument) {
  WalStore& store = this->fixture_.store();
  ASSERT_TRUE(store.append(kStart, bytes_of(100, 1)).has_value());
  for (auto [begin, end] : {std::pair(Lsn(kStart.value() - 1), kStart.plus_bytes(10)),
                            std::pair(kStart.plus_bytes(90), kStart.plus_bytes(101)),
                            std::pair(kStart.plus_bytes(50), kStart.plus_bytes(40))}) {
    auto bytes = store.read(begin, end);
    ASSERT_FALSE(bytes.has_value());
    EXPECT_EQ(bytes.error().code(), ErrorCode::kInvalidArgument);
  }
}

TYPED_TEST(WalStoreContractTest, Truncate_CutsTheLogDurably) {
  WalStore& store = this->fixture_.store();
  ASSERT_TRUE(store.append(kStart, bytes_of(100, 1)).has_value());
  ASSERT_TRUE(store.truncate(kStart.plus_bytes(40)).has_value());
  EXPECT_EQ(store.end_lsn(), kStart.plus_bytes(40));
  EXPECT_EQ(store.flush_lsn(), kStart.plus_bytes(40));
  ASSERT_TRUE(store.append(kStart.plus_bytes(40), bytes_of(10, 9)).has_value());
  auto bytes = store.read(kStart, kStart.plus_bytes(50));
  ASSERT_TRUE(bytes.has_value());
  std::vector<std::uint8_t> expected = bytes_of(100, 1);
  expected.resize(40);
  const std::vector<std::uint8_t> tail = bytes_of(10, 9);
  expected.insert(expected.end(), tail.begin(), tail.end());
  EXPECT_EQ(*bytes, expected);
}

TYPED_TEST(WalStoreContractTest, AppendNotAtTheEnd_IsInvalidArgumentAndChangesNothing) {
  WalStore& store = this->fixture_.store();
  ASSERT_TRUE(store.append(kStart, bytes_of(10, 1)).has_value());
  Status status = store.append(kStart.plus_bytes(11), bytes_of(10, 2));
  ASSERT_FALSE(status.has_value());
  EXPECT_EQ(status.error().code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(store.end_lsn(), kStart.plus_bytes(10));
}

// --- The twin's crash and faults -------------------------------------------------------------

TEST(MemoryWalStoreTest, Crash_LosesExactlyWhatWasNotSynced) {
  MemoryWalStore store(kStart);
  ASSERT_TRUE(store.append(kStart, bytes_of(100, 1)).has_value());
  ASSERT_TRUE(store.sync().has_value());
  ASSERT_TRUE(store.append(kStart.plus_bytes(100), bytes_of(50, 2)).has_value());
  store.crash();
  EXPECT_EQ(store.end_lsn(), kStart.plus_bytes(100));
  EXPECT_EQ(store.flush_lsn(), kStart.plus_bytes(100));
  auto bytes = store.read(kStart, kStart.plus_bytes(100));
  ASSERT_TRUE(bytes.has_value());
  EXPECT_EQ(*bytes, bytes_of(100, 1));
}

TEST(MemoryWalStoreTest, FailingAppends_WriteNothingUntilCleared) {
  MemoryWalStore store(kStart);
  store.fail_appends(ErrorCode::kNoSpace);
  Status status = store.append(kStart, bytes_of(10, 1));
  ASSERT_FALSE(status.has_value());
  EXPECT_EQ(status.error().code(), ErrorCode::kNoSpace);
  EXPECT_EQ(store.end_lsn(), kStart);
  store.clear_faults();
  EXPECT_TRUE(store.append(kStart, bytes_of(10, 1)).has_value());
}

TEST(MemoryWalStoreTest, FailedSync_RefusesEverythingUntilACrash) {
  MemoryWalStore store(kStart);
  ASSERT_TRUE(store.append(kStart, bytes_of(10, 1)).has_value());
  store.fail_next_sync();
  Status synced = store.sync();
  ASSERT_FALSE(synced.has_value());
  EXPECT_EQ(synced.error().code(), ErrorCode::kIoError);
  EXPECT_EQ(store.flush_lsn(), kStart);
  EXPECT_FALSE(store.append(kStart.plus_bytes(10), bytes_of(1, 2)).has_value());
  EXPECT_FALSE(store.sync().has_value());
  store.crash();
  EXPECT_EQ(store.end_lsn(), kStart);
  EXPECT_TRUE(store.append(kStart, bytes_of(10, 1)).has_value());
  EXPECT_TRUE(store.sync().has_value());
}

}  // namespace
}  // namespace sk::storage
