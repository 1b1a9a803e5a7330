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

TEST(RestoreSnapshot, ADamagedArchiveIsRefusedBeforeAnythingIsExtracted) {
  testing::TempDir dir;
  std::filesystem::create_directories(dir.path() / "snap");
  std::ofstream(dir.path() / "snap" / "base.tar", std::ios::binary) << "not the registered bytes";
  const Status s = restore_snapshot(dir.path() / "snap", "crc32c:00000000", dir.path() / "pgdata");
  ASSERT_FALSE(s);
  EXPECT_EQ(s.error().code(), ErrorCode::kCorruption);
  EXPECT_FALSE(std::filesystem::exists(dir.path() / "pgdata"));
}

}  // namespace
}  // namespace sk::skctl
