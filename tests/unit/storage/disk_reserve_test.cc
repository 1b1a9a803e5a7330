// DiskReserve with an injected free-space probe and clock: the reserve's sizes, when it probes
// (the cache policy), what it refuses and with which message, and a FileWalStore that keeps it:
// appends and segment files refused below the reserve with the log unchanged, accepted again
// once space returns.
#include "safekeeper/storage/disk_reserve.h"

#include <gtest/gtest.h>

#include "safekeeper/storage/file_wal_store.h"
#include "tests/support/temp_dir.h"

namespace sk::storage {
namespace {

using consensus::Lsn;
using namespace std::chrono_literals;

constexpr std::uint64_t kMiB = std::uint64_t{1} << 20;
constexpr std::uint64_t kGiB = std::uint64_t{1} << 30;

TEST(ReserveSizeTest, Parse_SizesPercentagesAndBadInput) {
  EXPECT_EQ(ReserveSize::parse("2GiB")->bytes_on(100 * kGiB), 2 * kGiB);
  EXPECT_EQ(ReserveSize::parse("512MiB")->bytes_on(kGiB), 512 * kMiB);
  EXPECT_EQ(ReserveSize::parse("64KiB")->bytes_on(kGiB), 64u * 1024);
  EXPECT_EQ(ReserveSize::parse("4096")->bytes_on(kGiB), 4096u);
  EXPECT_EQ(ReserveSize::parse("0")->bytes_on(kGiB), 0u);
  EXPECT_EQ(ReserveSize::parse("5%")->bytes_on(100 * kGiB), 5 * kGiB);
  EXPECT_EQ(ReserveSize::parse("2.5%")->bytes_on(1000 * kMiB), 25 * kMiB);
  for (const char* bad :
       {"", "%", "GiB", "-1", "2 GiB", "2GB", "51%", "x%", "1.5GiB", "99999999999TiB"}) {
    auto parsed = ReserveSize::parse(bad);
    ASSERT_FALSE(parsed.has_value()) << bad;
    EXPECT_EQ(parsed.error().code(), ErrorCode::kInvalidArgument);
  }
}

TEST(ReserveSizeTest, Default_IsTheSmallerOfFivePercentAndTwoGiB) {
  const ReserveSize fallback;
  EXPECT_EQ(fallback.bytes_on(10 * kGiB), kGiB / 2);    // 5 % of a small disk.
  EXPECT_EQ(fallback.bytes_on(1000 * kGiB), 2 * kGiB);  // Capped on a large one.
  EXPECT_EQ(fallback.bytes_on(40 * kGiB), 2 * kGiB);    // Where the two meet.
}

TEST(FormatBytesTest, HumanUnits) {
  EXPECT_EQ(format_bytes(100), "100 B");
  EXPECT_EQ(format_bytes(1536), "1.5 KiB");
  EXPECT_EQ(format_bytes(kGiB + kGiB / 5), "1.2 GiB");
}

// A file system whose free space the test sets, counting probes; and a clock the test moves.
struct FakeDisk {
  std::uint64_t free_bytes = 10 * kGiB;
  std::uint64_t total_bytes = 100 * kGiB;
  int probes = 0;
  bool fail = false;
  std::chrono::steady_clock::time_point now{};

  DiskReserve reserve(ReserveSize size) {
    return DiskReserve(
        "/data", size,
        [this](const std::filesystem::path&) -> Result<FileSystemSpace> {
          ++probes;
          if (fail) {
            return Error(ErrorCode::kIoError, "probe failed");
          }
          return FileSystemSpace{free_bytes, total_bytes};
        },
        [this] { return now; });
  }
};

TEST(DiskReserveTest, BelowTheReserve_AppendsAreRefusedWithTheReservesMessage) {
  FakeDisk disk;
  DiskReserve reserve = disk.reserve(*ReserveSize::parse("2GiB"));
  ASSERT_TRUE(reserve.check_append(100).has_value());
  EXPECT_EQ(reserve.free_bytes(), 10 * kGiB);
  EXPECT_EQ(reserve.reserve_bytes(), 2 * kGiB);
  EXPECT_FALSE(reserve.refusing());

  disk.free_bytes = kGiB + kGiB / 5;
  disk.now += DiskReserve::kRefreshInterval;
  Status refused = reserve.check_append(100);
  ASSERT_FALSE(refused.has_value());
  EXPECT_EQ(refused.error().code(), ErrorCode::kNoSpace);
  EXPECT_EQ(refused.error().message(),
            "WAL append refused: free space 1.2 GiB on /data is below the reserve of 2.0 GiB; "
            "appends resume when space returns");
  EXPECT_TRUE(reserve.refusing());
  EXPECT_EQ(reserve.refused_total(), 1u);

  // Space returns: accepted again at the next probe.
  disk.free_bytes = 3 * kGiB;
  disk.now += DiskReserve::kRefreshInterval;
  EXPECT_TRUE(reserve.check_append(100).has_value());
  EXPECT_FALSE(reserve.refusing());
  EXPECT_EQ(reserve.refused_total(), 1u);
}

TEST(DiskReserveTest, Appends_ProbeOnlyWhenTheCacheIsOldOrEnoughBytesWentBy) {
  FakeDisk disk;
  DiskReserve reserve = disk.reserve(*ReserveSize::parse("1GiB"));
  ASSERT_TRUE(reserve.check_append(1).has_value());
  EXPECT_EQ(disk.probes, 1);
  // Many small appends within the interval: no probe, even though the disk filled meanwhile
  // (the cache is allowed to be that stale).
  disk.free_bytes = 0;
  for (int i = 0; i < 100; ++i) {
    ASSERT_TRUE(reserve.check_append(1024).has_value());
  }
  EXPECT_EQ(disk.probes, 1);
  // The interval passes: the next append probes and is refused.
  disk.now += DiskReserve::kRefreshInterval;
  EXPECT_FALSE(reserve.check_append(1).has_value());
  EXPECT_EQ(disk.probes, 2);
  // Enough bytes appended within the interval: probed again.
  disk.free_bytes = 10 * kGiB;
  EXPECT_FALSE(reserve.check_append(DiskReserve::kRefreshBytes).has_value());
  EXPECT_EQ(disk.probes, 2);
  EXPECT_TRUE(reserve.check_append(1).has_value());
  EXPECT_EQ(disk.probes, 3);
}

TEST(DiskReserveTest, NewFiles_AlwaysProbe) {
  FakeDisk disk;
  DiskReserve reserve = disk.reserve(*ReserveSize::parse("1GiB"));
  ASSERT_TRUE(reserve.check_new_file().has_value());
  disk.free_bytes = kGiB - 1;
  Status refused = reserve.check_new_file();
  ASSERT_FALSE(refused.has_value());
  EXPECT_EQ(disk.probes, 2);
  EXPECT_NE(refused.error().message().find("new WAL segment file refused"), std::string::npos);
  EXPECT_TRUE(reserve.below_reserve_now());
  disk.free_bytes = kGiB;
  EXPECT_FALSE(reserve.below_reserve_now());
}

TEST(DiskReserveTest, PercentAndDefault_FollowTheFileSystemsSize) {
  FakeDisk disk;
  disk.total_bytes = 10 * kGiB;
  disk.free_bytes = kGiB;
  DiskReserve ten_percent = disk.reserve(*ReserveSize::parse("10%"));
  EXPECT_TRUE(ten_percent.check_new_file().has_value());  // Exactly at the reserve: accepted.
  EXPECT_EQ(ten_percent.reserve_bytes(), kGiB);
  DiskReserve fallback = disk.reserve(ReserveSize{});
  EXPECT_TRUE(fallback.check_new_file().has_value());
  EXPECT_EQ(fallback.reserve_bytes(), kGiB / 2);
  disk.free_bytes = kGiB / 2 - 1;
  EXPECT_FALSE(fallback.check_new_file().has_value());
}

TEST(DiskReserveTest, AFailedProbe_RefusesNothingAndKeepsTheLastNumbers) {
  FakeDisk disk;
  DiskReserve reserve = disk.reserve(*ReserveSize::parse("1GiB"));
  ASSERT_TRUE(reserve.check_new_file().has_value());
  disk.fail = true;
  EXPECT_TRUE(reserve.check_new_file().has_value());
  EXPECT_EQ(reserve.free_bytes(), 10 * kGiB);
}

TEST(DiskReserveTest, StatvfsProbe_MeasuresARealDirectory) {
  sk::testing::TempDir dir{"sk_reserve"};
  auto space = DiskReserve::statvfs_probe(dir.path());
  ASSERT_TRUE(space.has_value()) << space.error().to_string();
  EXPECT_GT(space->total_bytes, 0u);
  EXPECT_LE(space->free_bytes, space->total_bytes);
  EXPECT_FALSE(DiskReserve::statvfs_probe(dir.path() / "missing").has_value());
}

// A FileWalStore keeping the reserve: 1 MiB segments, so that appends cross them cheaply.
TEST(DiskReserveTest, FileWalStore_RefusesBelowTheReserveLogUnchangedAndResumes) {
  constexpr std::uint64_t kSeg = kMiB;
  constexpr Lsn kStart{0x3000000};
  sk::testing::TempDir dir{"sk_reserve_wal"};
  FakeDisk disk;
  DiskReserve reserve = disk.reserve(*ReserveSize::parse("1GiB"));
  auto opened = FileWalStore::open(dir.path() / "wal", kStart, kSeg, &reserve);
  ASSERT_TRUE(opened.has_value()) << opened.error().to_string();
  FileWalStore& store = *opened->store;
  const std::vector<std::uint8_t> bytes(kSeg / 2, 0x5a);
  ASSERT_TRUE(store.append(store.end_lsn(), bytes).has_value());
  ASSERT_TRUE(store.sync().has_value());
  EXPECT_EQ(store.bytes_on_disk(), 2 * kSeg);  // The first segment and the spare ahead.

  // Below the reserve: refused with the reserve's message, nothing written.
  disk.free_bytes = kGiB / 2;
  disk.now += DiskReserve::kRefreshInterval;
  const Lsn end = store.end_lsn();
  Status refused = store.append(end, bytes);
  ASSERT_FALSE(refused.has_value());
  EXPECT_EQ(refused.error().code(), ErrorCode::kNoSpace);
  EXPECT_NE(refused.error().message().find("below the reserve"), std::string::npos);
  EXPECT_EQ(store.end_lsn(), end);
  EXPECT_EQ(reserve.refused_total(), 1u);

  // Space returns: the append crosses into the spare, and the next spare is made.
  disk.free_bytes = 2 * kGiB;
  disk.now += DiskReserve::kRefreshInterval;
  ASSERT_TRUE(store.append(end, std::vector<std::uint8_t>(kSeg, 0x6b)).has_value());
  ASSERT_TRUE(store.sync().has_value());
  EXPECT_EQ(store.end_lsn(), end.plus_bytes(kSeg));

  // A file already made takes no more space: an append into the spare is accepted on the
  // cached answer, but no spare is made ahead below the reserve, and that probe refuses the
  // next append.
  disk.free_bytes = 0;
  EXPECT_EQ(store.bytes_on_disk(), 3 * kSeg);  // Segments 1, 2 and the spare made on return.
  const std::uint64_t to_spare = kSeg - store.end_lsn().bytes_since(kStart) % kSeg;
  ASSERT_TRUE(store.append(store.end_lsn(), std::vector<std::uint8_t>(to_spare + 1, 1)));
  EXPECT_EQ(store.bytes_on_disk(), 3 * kSeg);
  EXPECT_FALSE(store.append(store.end_lsn(), bytes).has_value());
}

TEST(DiskReserveTest, FileWalStore_NeverMakesASegmentFileBelowTheReserve) {
  constexpr std::uint64_t kSeg = kMiB;
  constexpr Lsn kStart{0x3000000};
  sk::testing::TempDir dir{"sk_reserve_wal"};
  FakeDisk disk;
  disk.free_bytes = 0;
  DiskReserve reserve = disk.reserve(*ReserveSize::parse("1GiB"));
  auto opened = FileWalStore::open(dir.path() / "wal", kStart, kSeg, &reserve);
  ASSERT_TRUE(opened.has_value()) << opened.error().to_string();
  FileWalStore& store = *opened->store;
  EXPECT_EQ(store.bytes_on_disk(), 0u);  // No first segment made ahead below the reserve.

  // The cache says there is room; the disk has none by the time the file is needed.
  disk.free_bytes = 2 * kGiB;
  disk.now += DiskReserve::kRefreshInterval;
  ASSERT_TRUE(reserve.check_append(1).has_value());
  disk.free_bytes = 0;
  Status refused = store.append(kStart, std::vector<std::uint8_t>(100, 1));
  ASSERT_FALSE(refused.has_value());
  EXPECT_EQ(refused.error().code(), ErrorCode::kNoSpace);
  EXPECT_NE(refused.error().message().find("new WAL segment file refused"), std::string::npos)
      << refused.error().message();
  EXPECT_EQ(store.end_lsn(), kStart);
  EXPECT_FALSE(std::filesystem::exists(store.segment_path(48)));

  disk.free_bytes = 2 * kGiB;
  disk.now += DiskReserve::kRefreshInterval;
  ASSERT_TRUE(store.append(kStart, std::vector<std::uint8_t>(100, 1)).has_value());
  ASSERT_TRUE(store.sync().has_value());
  EXPECT_TRUE(std::filesystem::exists(store.segment_path(48)));
}

}  // namespace
}  // namespace sk::storage
