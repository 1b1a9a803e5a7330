// The snapshot store's pure parts: the manifest's WAL range and the file checksum.
#include "safekeeper/skctl/snapshot_store.h"

#include <fstream>

#include <gtest/gtest.h>

#include "tests/support/temp_dir.h"

namespace sk::skctl {
namespace {

using consensus::Lsn;

TEST(ManifestWalRange, ReadsPgBasebackupsWalRanges) {
  const std::string manifest = R"({ "PostgreSQL-Backup-Manifest-Version": 1,
"Files": [],
"WAL-Ranges": [
{ "Timeline": 1, "Start-LSN": "0/2000028", "End-LSN": "0/2000100" }
],
"Manifest-Checksum": "x"})";
  auto range = manifest_wal_range(manifest);
  ASSERT_TRUE(range) << range.error().to_string();
  EXPECT_EQ(range->first, Lsn(0x2000028));
  EXPECT_EQ(range->second, Lsn(0x2000100));
}

TEST(ManifestWalRange, RefusesAnythingElse) {
  EXPECT_EQ(manifest_wal_range("not json").error().code(), ErrorCode::kCorruption);
  EXPECT_EQ(manifest_wal_range(R"({"WAL-Ranges": []})").error().code(), ErrorCode::kCorruption);
  EXPECT_EQ(manifest_wal_range(
                R"({"WAL-Ranges": [{"Timeline": 2, "Start-LSN": "0/1", "End-LSN": "0/2"}]})")
                .error()
                .code(),
            ErrorCode::kFailedPrecondition);
  EXPECT_EQ(manifest_wal_range(
                R"({"WAL-Ranges": [{"Timeline": 1, "Start-LSN": "0/9", "End-LSN": "0/2"}]})")
                .error()
                .code(),
            ErrorCode::kCorruption);
}

TEST(FileChecksum, IsCrc32cOfTheBytesAndSeesOneFlippedBit) {
  testing::TempDir dir;
  const auto path = dir.path() / "base.tar";
  std::ofstream(path, std::ios::binary) << "123456789";
  // CRC-32C's check value for "123456789".
  EXPECT_EQ(file_checksum(path).value(), "crc32c:e3069283");
  std::ofstream(path, std::ios::binary) << "123456788";
  EXPECT_NE(file_checksum(path).value(), "crc32c:e3069283");
  EXPECT_EQ(file_checksum(dir.path() / "missing").error().code(), ErrorCode::kIoError);
}

TEST(SnapshotStore, ADamagedManifestIsRefusedBeforeAnythingIsCloned) {
  testing::TempDir dir;
  const SnapshotStore store(dir.path() / "store");
  const auto snap = dir.path() / "store" / "t" / "snap";
  std::filesystem::create_directories(snap);
  std::ofstream(snap / "backup_manifest", std::ios::binary) << "not the registered bytes";
  auto restored = store.restore(snap, "crc32c:00000000", "/nonexistent", dir.path() / "pgdata");
  ASSERT_FALSE(restored);
  EXPECT_EQ(restored.error().code(), ErrorCode::kCorruption);
  EXPECT_FALSE(std::filesystem::exists(dir.path() / "pgdata"));
}

// A host where the shared store is not mounted sees nothing of the tenant: one clear line, not
// "damaged" (which would pass over to older snapshots, equally unseen).
TEST(SnapshotStore, AHostThatDoesNotSeeTheStore_SaysSoInOneLine) {
  testing::TempDir dir;
  const SnapshotStore store(dir.path() / "store");
  const auto location = dir.path() / "store" / "t" / "snap";
  auto restored = store.restore(location, "crc32c:00000000", "/nonexistent", dir.path() / "pgdata");
  ASSERT_FALSE(restored);
  EXPECT_EQ(restored.error().code(), ErrorCode::kFailedPrecondition);
  EXPECT_NE(restored.error().message().find("must mount the same snapshot store"),
            std::string::npos)
      << restored.error().message();
  EXPECT_EQ(restored.error().message().find('\n'), std::string::npos);
  // The tenant's directory is there but this snapshot is gone: damage, an older one may do.
  std::filesystem::create_directories(location.parent_path());
  restored = store.restore(location, "crc32c:00000000", "/nonexistent", dir.path() / "pgdata");
  ASSERT_FALSE(restored);
  EXPECT_EQ(restored.error().code(), ErrorCode::kCorruption);
}

TEST(SnapshotStore, ALocationOutsideTheStoreIsRefused) {
  testing::TempDir dir;
  const SnapshotStore store(dir.path() / "store");
  std::filesystem::create_directories(dir.path() / "elsewhere");
  std::ofstream(dir.path() / "elsewhere" / "backup_manifest") << "{}";
  const auto checksum = file_checksum(dir.path() / "elsewhere" / "backup_manifest").value();
  for (const auto& location : {dir.path() / "elsewhere", dir.path() / "store" / ".." / "elsewhere",
                               std::filesystem::path("/etc")}) {
    auto restored = store.restore(location, checksum, "/nonexistent", dir.path() / "pgdata");
    ASSERT_FALSE(restored) << location;
    EXPECT_EQ(restored.error().code(), ErrorCode::kFailedPrecondition) << location;
    EXPECT_NE(restored.error().message().find("outside the snapshot store"), std::string::npos);
  }
  EXPECT_FALSE(std::filesystem::exists(dir.path() / "pgdata"));
}

TEST(SnapshotStore, RemoveTakesTheDirectoryAndItsMarker_OnlyAtItsOwnPlaceInTheStore) {
  testing::TempDir dir;
  namespace fs = std::filesystem;
  const SnapshotStore store(dir.path() / "store");
  const fs::path snap = dir.path() / "store" / "t" / "s1";
  const fs::path other = dir.path() / "store" / "t" / "s2";
  for (const fs::path& p : {snap, other}) {
    fs::create_directories(p / "base");
    std::ofstream(p / "base" / "1") << "page";
    std::ofstream(p.string() + ".verified").flush();
  }
  fs::create_directories(dir.path() / "elsewhere");

  using Removal = SnapshotStore::Removal;
  // Outside the store, the store itself, a tenant's directory, another id's: left in place.
  EXPECT_EQ(store.remove("s1", dir.path() / "elsewhere").value(), Removal::kLeftInPlace);
  EXPECT_EQ(store.remove("s1", dir.path() / "store").value(), Removal::kLeftInPlace);
  EXPECT_EQ(store.remove("t", dir.path() / "store" / "t").value(), Removal::kLeftInPlace);
  EXPECT_EQ(store.remove("s1", other).value(), Removal::kLeftInPlace);
  EXPECT_EQ(store.remove("base", snap / "base").value(), Removal::kLeftInPlace);
  EXPECT_EQ(store.remove("..", snap / "..").value(), Removal::kLeftInPlace);
  EXPECT_TRUE(fs::exists(dir.path() / "elsewhere"));
  EXPECT_TRUE(fs::exists(snap / "base" / "1"));

  EXPECT_EQ(store.remove("s1", dir.path() / "store" / "t" / ".." / "t" / "s1").value(),
            Removal::kRemoved);
  EXPECT_FALSE(fs::exists(snap));
  EXPECT_FALSE(fs::exists(snap.string() + ".verified"));
  EXPECT_TRUE(fs::exists(other / "base" / "1"));
  EXPECT_TRUE(fs::exists(other.string() + ".verified"));
  // Already gone (a repeat after a failure): nothing to do.
  EXPECT_EQ(store.remove("s1", snap).value(), Removal::kRemoved);
}

TEST(SnapshotStore, RemoveLeavesALocationThatIsALinkOutOfTheStore) {
  testing::TempDir dir;
  namespace fs = std::filesystem;
  const SnapshotStore store(dir.path() / "store");
  fs::create_directories(dir.path() / "out");
  std::ofstream(dir.path() / "out" / "keep") << "x";
  fs::create_directories(dir.path() / "store" / "t");
  fs::create_directory_symlink(dir.path() / "out", dir.path() / "store" / "t" / "s1");
  EXPECT_EQ(store.remove("s1", dir.path() / "store" / "t" / "s1").value(),
            SnapshotStore::Removal::kLeftInPlace);
  EXPECT_TRUE(fs::exists(dir.path() / "out" / "keep"));
}

TEST(IsInside, FollowsDotDotAndSymbolicLinks) {
  testing::TempDir dir;
  std::filesystem::create_directories(dir.path() / "store" / "a");
  std::filesystem::create_directories(dir.path() / "out");
  std::filesystem::create_directory_symlink(dir.path() / "out", dir.path() / "store" / "link");
  EXPECT_TRUE(is_inside(dir.path() / "store" / "a", dir.path() / "store"));
  EXPECT_TRUE(is_inside(dir.path() / "store" / "a" / "not-yet", dir.path() / "store"));
  EXPECT_FALSE(is_inside(dir.path() / "store", dir.path() / "store"));
  EXPECT_FALSE(is_inside(dir.path() / "store" / "a" / ".." / "..", dir.path() / "store"));
  EXPECT_FALSE(is_inside(dir.path() / "store" / "link", dir.path() / "store"));
  EXPECT_FALSE(is_inside(dir.path() / "storeX", dir.path() / "store"));
}

}  // namespace
}  // namespace sk::skctl
