// SlotStore on a real LMDB environment: slots survive reopening, an erase is durable, and a
// damaged record is named rather than read.
#include "safekeeper/storage/slot_store.h"

#include <gtest/gtest.h>

#include "tests/support/temp_dir.h"

namespace sk::storage {
namespace {

TimelineKey key(std::uint8_t n) {
  consensus::TenantId::Bytes tenant{};
  consensus::TimelineId::Bytes timeline{};
  tenant[15] = 1;
  timeline[15] = n;
  return {consensus::TenantId(tenant), consensus::TimelineId(timeline)};
}

TEST(SlotStoreTest, SlotsSurviveReopening_AndAnEraseIsDurable) {
  sk::testing::TempDir dir("sk_slot_store");
  const StoredSlot a{key(1), "standby_a", consensus::Lsn(0x1000028), 1'764'000'000'000'000};
  const StoredSlot b{key(2), "archiver", consensus::Lsn(0x2000000), 1'764'000'000'500'000};
  {
    auto env = LmdbEnv::open(dir.path(), {});
    ASSERT_TRUE(env.has_value()) << env.error().to_string();
    SlotStore store(**env);
    ASSERT_TRUE(store.save(b));
    ASSERT_TRUE(store.save(a));
    StoredSlot moved = a;
    moved.restart_lsn = consensus::Lsn(0x1500000);
    ASSERT_TRUE(store.save(moved));  // Replaces.
    ASSERT_TRUE(store.save({key(1), "gone", consensus::Lsn(0x1000028), 0}));
    ASSERT_TRUE(store.erase(key(1), "gone"));
    ASSERT_TRUE(store.erase(key(1), "never_there"));
  }
  auto env = LmdbEnv::open(dir.path(), {});
  ASSERT_TRUE(env.has_value()) << env.error().to_string();
  auto loaded = SlotStore(**env).load_all();
  ASSERT_TRUE(loaded.has_value()) << loaded.error().to_string();
  StoredSlot moved = a;
  moved.restart_lsn = consensus::Lsn(0x1500000);
  EXPECT_EQ(*loaded, (std::vector<StoredSlot>{moved, b}));
}

TEST(SlotStoreTest, ADamagedRecord_IsCorruptionNamingTheSlot) {
  sk::testing::TempDir dir("sk_slot_store");
  auto env = LmdbEnv::open(dir.path(), {});
  ASSERT_TRUE(env.has_value()) << env.error().to_string();
  SlotStore store(**env);
  ASSERT_TRUE(store.save({key(1), "standby_a", consensus::Lsn(0x1000028), 5}));
  auto entries = (*env)->scan(LmdbEnv::Database::kSlots);
  ASSERT_TRUE(entries.has_value());
  ASSERT_EQ(entries->size(), 1U);
  std::string damaged = entries->front().second;
  damaged[damaged.size() - 1] ^= 0x01;
  ASSERT_TRUE((*env)->put(LmdbEnv::Database::kSlots, entries->front().first, damaged));
  auto loaded = store.load_all();
  ASSERT_FALSE(loaded.has_value());
  EXPECT_EQ(loaded.error().code(), ErrorCode::kCorruption);
  EXPECT_NE(loaded.error().message().find("slot 'standby_a'"), std::string::npos)
      << loaded.error().message();
  EXPECT_NE(loaded.error().message().find("checksum mismatch"), std::string::npos)
      << loaded.error().message();
}

}  // namespace
}  // namespace sk::storage
