// Unit tests for wal_format.h: header encodings checked byte for byte against a page header and
// a record header written by a real PostgreSQL 15 (initdb), and round trips of both.
#include "safekeeper/pgwal/wal_format.h"

#include <array>
#include <cstdint>

#include <gtest/gtest.h>

namespace sk::pgwal {
namespace {

using consensus::Lsn;

// The first 40 bytes of 000000010000000000000001 after initdb of PostgreSQL 15.18.
constexpr std::array<std::uint8_t, 40> kRealLongPageHeader = {
    0x10, 0xd1, 0x02, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x8b, 0xc0, 0x97, 0xe8,
    0xce, 0x8a, 0x05, 0x6b, 0x00, 0x00, 0x00, 0x01, 0x00, 0x20, 0x00, 0x00,
};

TEST(WalFormatTest, RealLongPageHeader_Decodes) {
  PageHeader header = decode_page_header(kRealLongPageHeader);
  EXPECT_EQ(header.magic, kPageMagicPg15);
  EXPECT_EQ(header.info, kPageLongHeader);
  EXPECT_EQ(header.pg_timeline_id, 1u);
  EXPECT_EQ(header.page_addr, Lsn(0x1000000));
  EXPECT_EQ(header.rem_len_bytes, 0u);
  EXPECT_EQ(header.system_id, 0x6b058acee897c08bull);
  EXPECT_EQ(header.seg_size_bytes, 16u << 20);
  EXPECT_EQ(header.page_size_bytes, kWalPageSizeBytes);
  EXPECT_EQ(header.size_bytes(), kLongPageHeaderSizeBytes);

  std::array<std::uint8_t, 40> encoded{};
  encode_page_header(header, encoded);
  EXPECT_EQ(encoded, kRealLongPageHeader);
}

TEST(WalFormatTest, ShortPageHeader_RoundTrips) {
  PageHeader header;
  header.info = kPageFirstIsContRecord | kPageBkpRemovable;
  header.pg_timeline_id = 3;
  header.page_addr = Lsn(0x16B374A000);
  header.rem_len_bytes = 12345;
  std::array<std::uint8_t, 24> encoded{};
  encode_page_header(header, encoded);
  EXPECT_EQ(header.size_bytes(), kShortPageHeaderSizeBytes);
  EXPECT_EQ(decode_page_header(encoded), header);
}

// The header of the commit record at 0/15006D0 of the same initdb.
constexpr std::array<std::uint8_t, 24> kRealCommitRecordHeader = {
    0x42, 0x00, 0x00, 0x00, 0xd3, 0x02, 0x00, 0x00, 0x30, 0x06, 0x50, 0x01,
    0x00, 0x00, 0x00, 0x00, 0x80, 0x01, 0x00, 0x00, 0xdd, 0x88, 0xc1, 0x16,
};

TEST(WalFormatTest, RealRecordHeader_DecodesAndReencodes) {
  RecordHeader header = decode_record_header(kRealCommitRecordHeader);
  EXPECT_EQ(header.tot_len_bytes, 66u);
  EXPECT_EQ(header.xid, 723u);
  EXPECT_EQ(header.prev, Lsn(0x1500630));
  EXPECT_EQ(header.info, kXactHasInfo | kXactCommit);
  EXPECT_EQ(header.rmid, kRmgrXact);
  EXPECT_EQ(header.crc, 0x16c188ddu);
  std::array<std::uint8_t, 24> encoded{};
  encode_record_header(header, encoded);
  EXPECT_EQ(encoded, kRealCommitRecordHeader);
}

TEST(WalFormatTest, MaxAlign_RoundsUpToEight) {
  EXPECT_EQ(max_align(0), 0u);
  EXPECT_EQ(max_align(1), 8u);
  EXPECT_EQ(max_align(8), 8u);
  EXPECT_EQ(max_align(0x150078A), 0x1500790u);
}

TEST(WalFormatTest, RmgrIds_BuiltinAndCustomAreValid) {
  EXPECT_TRUE(is_valid_rmgr_id(kRmgrXlog));
  EXPECT_TRUE(is_valid_rmgr_id(kMaxBuiltinRmgrId));
  EXPECT_FALSE(is_valid_rmgr_id(kMaxBuiltinRmgrId + 1));
  EXPECT_FALSE(is_valid_rmgr_id(127));
  EXPECT_TRUE(is_valid_rmgr_id(128));
  EXPECT_TRUE(is_valid_rmgr_id(255));
}

}  // namespace
}  // namespace sk::pgwal
