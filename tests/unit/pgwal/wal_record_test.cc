// Unit tests for wal_record.h: record bodies of every fragment kind, PostgreSQL's cross-checks on
// malformed bodies, and commit timestamps, including records copied from a real PostgreSQL 15.
#include "safekeeper/pgwal/wal_record.h"

#include <array>
#include <cstdint>
#include <vector>

#include <gtest/gtest.h>

#include "safekeeper/pgwal/crc32c.h"

namespace sk::pgwal {
namespace {

using consensus::Lsn;

// A record with its own storage; view() is the WalRecord a decoder would hand out.
struct OwnedRecord {
  std::vector<std::uint8_t> bytes;
  Lsn start_lsn{0x2000028};

  WalRecord view() const {
    RecordHeader header = decode_record_header(bytes);
    return WalRecord{start_lsn, Lsn(max_align(start_lsn.value() + bytes.size())), header, bytes};
  }
};

OwnedRecord make_record(std::uint8_t rmid, std::uint8_t info, std::vector<std::uint8_t> body) {
  OwnedRecord record;
  record.bytes.assign(kRecordHeaderSizeBytes, 0);
  record.bytes.insert(record.bytes.end(), body.begin(), body.end());
  RecordHeader header;
  header.tot_len_bytes = static_cast<std::uint32_t>(record.bytes.size());
  header.info = info;
  header.rmid = rmid;
  encode_record_header(header, record.bytes);
  return record;
}

// Appends little-endian fields to a body under construction.
struct BodyBuilder {
  std::vector<std::uint8_t> bytes;
  BodyBuilder& u8(std::uint8_t v) {
    bytes.push_back(v);
    return *this;
  }
  BodyBuilder& u16(std::uint16_t v) {
    return u8(static_cast<std::uint8_t>(v)).u8(static_cast<std::uint8_t>(v >> 8));
  }
  BodyBuilder& u32(std::uint32_t v) {
    return u16(static_cast<std::uint16_t>(v)).u16(static_cast<std::uint16_t>(v >> 16));
  }
  BodyBuilder& fill(std::size_t count, std::uint8_t v) {
    bytes.insert(bytes.end(), count, v);
    return *this;
  }
};

TEST(WalRecordTest, ShortMainData_IsTheWholeBody) {
  OwnedRecord record =
      make_record(kRmgrXlog, kXlogNoop, BodyBuilder().u8(kBlockIdDataShort).u8(3).fill(3, 7).bytes);
  Result<RecordBody> body = parse_record_body(record.view());
  ASSERT_TRUE(body.has_value()) << body.error().to_string();
  EXPECT_TRUE(body->blocks.empty());
  EXPECT_EQ(body->main_data.size(), 3u);
  EXPECT_EQ(body->main_data[0], 7);
}

TEST(WalRecordTest, LongMainData_UsesFourByteLength) {
  OwnedRecord record = make_record(kRmgrXlog, kXlogNoop,
                                   BodyBuilder().u8(kBlockIdDataLong).u32(300).fill(300, 9).bytes);
  Result<RecordBody> body = parse_record_body(record.view());
  ASSERT_TRUE(body.has_value()) << body.error().to_string();
  EXPECT_EQ(body->main_data.size(), 300u);
}

TEST(WalRecordTest, EmptyBody_HasNoFragments) {
  OwnedRecord record = make_record(kRmgrXlog, kXlogSwitch, {});
  Result<RecordBody> body = parse_record_body(record.view());
  ASSERT_TRUE(body.has_value()) << body.error().to_string();
  EXPECT_TRUE(body->blocks.empty());
  EXPECT_TRUE(body->main_data.empty());
}

// Every header kind at once: an image with a hole on a new relation, a data-only block on the same
// relation, a compressed image with its hole length, origin, top-level xid and long main data.
TEST(WalRecordTest, BlockReferences_OfEveryKind_AreParsedInOrder) {
  BodyBuilder b;
  // Block 0: image (100 bytes, hole at 64) + 6 bytes of data, relation 1663/5/16384, block 7.
  b.u8(0).u8(kBlockHasImage | kBlockHasData | 0).u16(6);
  b.u16(100).u16(64).u8(kImageHasHole | kImageApply);
  b.u32(1663).u32(5).u32(16384).u32(7);
  // Block 2 (ids may skip): same relation, fork 1, will-init, 3 bytes of data, block 9.
  b.u8(2).u8(kBlockSameRel | kBlockWillInit | kBlockHasData | 1).u16(3).u32(9);
  // Block 3: compressed image (50 bytes) with a hole of 4000, no data, relation 1664/0/1262.
  b.u8(3).u8(kBlockHasImage).u16(0);
  b.u16(50).u16(200).u8(kImageHasHole | kImageCompressLz4).u16(4000);
  b.u32(1664).u32(0).u32(1262).u32(0);
  b.u8(kBlockIdOrigin).u16(42);
  b.u8(kBlockIdToplevelXid).u32(777);
  b.u8(kBlockIdDataLong).u32(260);
  // Payloads in header order, then the main data.
  b.fill(100, 0xA0).fill(6, 0xD0).fill(3, 0xD2).fill(50, 0xA3).fill(260, 0xEE);

  OwnedRecord record = make_record(10, 0x00, b.bytes);
  Result<RecordBody> body = parse_record_body(record.view());
  ASSERT_TRUE(body.has_value()) << body.error().to_string();
  ASSERT_EQ(body->blocks.size(), 3u);

  const BlockReference& b0 = body->blocks[0];
  EXPECT_EQ(b0.id, 0);
  EXPECT_EQ(b0.rel, (RelFileNode{1663, 5, 16384}));
  EXPECT_EQ(b0.block_number, 7u);
  EXPECT_EQ(b0.fork_number(), 0);
  ASSERT_TRUE(b0.image.has_value());
  EXPECT_EQ(b0.image->bytes.size(), 100u);
  EXPECT_EQ(b0.image->bytes[0], 0xA0);
  EXPECT_EQ(b0.image->hole_offset_bytes, 64);
  EXPECT_EQ(b0.image->hole_length_bytes, kDataBlockSizeBytes - 100);
  EXPECT_FALSE(b0.image->is_compressed());
  EXPECT_EQ(b0.data.size(), 6u);
  EXPECT_EQ(b0.data[0], 0xD0);

  const BlockReference& b2 = body->blocks[1];
  EXPECT_EQ(b2.id, 2);
  EXPECT_EQ(b2.rel, b0.rel);
  EXPECT_EQ(b2.fork_number(), 1);
  EXPECT_TRUE(b2.will_init());
  EXPECT_FALSE(b2.image.has_value());
  EXPECT_EQ(b2.data.size(), 3u);
  EXPECT_EQ(b2.data[0], 0xD2);

  const BlockReference& b3 = body->blocks[2];
  EXPECT_EQ(b3.rel, (RelFileNode{1664, 0, 1262}));
  ASSERT_TRUE(b3.image.has_value());
  EXPECT_TRUE(b3.image->is_compressed());
  EXPECT_EQ(b3.image->hole_length_bytes, 4000);
  EXPECT_EQ(b3.image->bytes.size(), 50u);
  EXPECT_EQ(b3.image->bytes[0], 0xA3);
  EXPECT_TRUE(b3.data.empty());

  EXPECT_EQ(body->origin, 42);
  EXPECT_EQ(body->toplevel_xid, 777u);
  EXPECT_EQ(body->main_data.size(), 260u);
  EXPECT_EQ(body->main_data[0], 0xEE);
}

TEST(WalRecordTest, MalformedBodies_AreCorruption) {
  struct Case {
    const char* name;
    std::vector<std::uint8_t> body;
  };
  const Case cases[] = {
      {"out-of-order block ids", BodyBuilder()
                                     .u8(1)
                                     .u8(0)
                                     .u16(0)
                                     .u32(1)
                                     .u32(2)
                                     .u32(3)
                                     .u32(0)
                                     .u8(1)
                                     .u8(kBlockSameRel)
                                     .u16(0)
                                     .u32(0)
                                     .bytes},
      {"data flag with zero length",
       BodyBuilder().u8(0).u8(kBlockHasData).u16(0).fill(16, 0).bytes},
      {"data length without the flag", BodyBuilder().u8(0).u8(0).u16(4).fill(20, 0).bytes},
      {"same relation on the first block",
       BodyBuilder().u8(0).u8(kBlockSameRel).u16(0).u32(0).bytes},
      {"block id 33", BodyBuilder().u8(33).u8(0).u16(0).fill(16, 0).bytes},
      {"block id 100", BodyBuilder().u8(100).fill(8, 0).bytes},
      {"main data longer than the body",
       BodyBuilder().u8(kBlockIdDataShort).u8(10).fill(9, 1).bytes},
      {"bytes after the main data", BodyBuilder().u8(kBlockIdDataShort).u8(2).fill(3, 1).bytes},
      {"body ends inside a header", BodyBuilder().u8(kBlockIdDataLong).u16(1).bytes},
      {"hole flag on a full-page image", BodyBuilder()
                                             .u8(0)
                                             .u8(kBlockHasImage)
                                             .u16(0)
                                             .u16(8192)
                                             .u16(10)
                                             .u8(kImageHasHole)
                                             .fill(16, 0)
                                             .fill(8192, 0)
                                             .bytes},
      {"partial image without the hole flag", BodyBuilder()
                                                  .u8(0)
                                                  .u8(kBlockHasImage)
                                                  .u16(0)
                                                  .u16(100)
                                                  .u16(0)
                                                  .u8(0)
                                                  .fill(16, 0)
                                                  .fill(100, 0)
                                                  .bytes},
      {"compressed image as long as a page", BodyBuilder()
                                                 .u8(0)
                                                 .u8(kBlockHasImage)
                                                 .u16(0)
                                                 .u16(8192)
                                                 .u16(0)
                                                 .u8(kImageCompressPglz)
                                                 .fill(16, 0)
                                                 .fill(8192, 0)
                                                 .bytes},
      {"image longer than a page", BodyBuilder()
                                       .u8(0)
                                       .u8(kBlockHasImage)
                                       .u16(0)
                                       .u16(9000)
                                       .u16(0)
                                       .u8(0)
                                       .fill(16, 0)
                                       .fill(9000, 0)
                                       .bytes},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    OwnedRecord record = make_record(10, 0, c.body);
    Result<RecordBody> body = parse_record_body(record.view());
    ASSERT_FALSE(body.has_value());
    EXPECT_EQ(body.error().code(), ErrorCode::kCorruption);
    EXPECT_NE(body.error().message().find(record.start_lsn.to_string()), std::string::npos);
  }
}

std::vector<std::uint8_t> xact_body(std::int64_t xact_time_us, std::size_t extra_bytes = 0) {
  BodyBuilder b;
  b.u8(kBlockIdDataShort).u8(static_cast<std::uint8_t>(8 + extra_bytes));
  b.u32(static_cast<std::uint32_t>(xact_time_us))
      .u32(static_cast<std::uint32_t>(static_cast<std::uint64_t>(xact_time_us) >> 32));
  b.fill(extra_bytes, 0x11);
  return b.bytes;
}

TEST(WalRecordTest, XactTime_OfCommitAbortAndPreparedForms_IsFirstEightBytes) {
  constexpr std::int64_t kTime = 848840527591780;  // 2026-11-24 13:02:07.591780 UTC.
  for (std::uint8_t op : {kXactCommit, kXactAbort, kXactCommitPrepared, kXactAbortPrepared}) {
    SCOPED_TRACE(int{op});
    EXPECT_EQ(xact_time_of(make_record(kRmgrXact, op, xact_body(kTime)).view()), kTime);
    EXPECT_EQ(xact_time_of(make_record(kRmgrXact, op | kXactHasInfo, xact_body(kTime, 4)).view()),
              kTime);
  }
  EXPECT_EQ(xact_time_of(make_record(kRmgrXact, kXactCommit, xact_body(-5)).view()), -5);
}

TEST(WalRecordTest, XactTime_OfOtherRecords_IsNullopt) {
  constexpr std::int64_t kTime = 848840527591780;
  for (std::uint8_t op : {kXactPrepare, kXactAssignment, kXactInvalidations}) {
    SCOPED_TRACE(int{op});
    EXPECT_EQ(xact_time_of(make_record(kRmgrXact, op, xact_body(kTime)).view()), std::nullopt);
  }
  EXPECT_EQ(xact_time_of(make_record(kRmgrXlog, kXlogRestorePoint, xact_body(kTime)).view()),
            std::nullopt);
  // A commit whose main data is too short to hold the time.
  EXPECT_EQ(xact_time_of(make_record(kRmgrXact, kXactCommit,
                                     BodyBuilder().u8(kBlockIdDataShort).u8(4).fill(4, 0).bytes)
                             .view()),
            std::nullopt);
}

// Records copied from the WAL of a PostgreSQL 15.18 initdb; pg_waldump described them as
//   0/015006D0 Transaction COMMIT 2026-11-24 13:02:07.591780 UTC; inval msgs: snapshot 2396
//   0/010000C0 XLOG FPI, blkref #0: rel 1663/1/6117 blk 0 FPW (len rec/tot 49/137)
constexpr std::array<std::uint8_t, 66> kRealCommitRecord = {
    0x42, 0x00, 0x00, 0x00, 0xd3, 0x02, 0x00, 0x00, 0x30, 0x06, 0x50, 0x01, 0x00, 0x00,
    0x00, 0x00, 0x80, 0x01, 0x00, 0x00, 0xdd, 0x88, 0xc1, 0x16, 0xff, 0x28, 0x64, 0x39,
    0x1e, 0x16, 0x04, 0x04, 0x03, 0x00, 0x09, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00,
    0x7f, 0x06, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0xfb, 0x06, 0x41, 0x07, 0x00, 0x00,
    0x00, 0x00, 0x5c, 0x09, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
};

constexpr std::array<std::uint8_t, 137> kRealFpiRecord = {
    0x89, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0xa0, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00,
    0xb0, 0x00, 0x00, 0x00, 0xd1, 0x7d, 0x1c, 0x7d, 0x00, 0x10, 0x00, 0x00, 0x58, 0x00, 0x48, 0x00,
    0x03, 0x7f, 0x06, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0xe5, 0x17, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x48, 0x00, 0xf0,
    0x1f, 0xf0, 0x1f, 0x04, 0x20, 0x00, 0x00, 0x00, 0x00, 0x62, 0x31, 0x05, 0x00, 0x04, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0xf0,
    0xbf, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x08, 0x00, 0x00, 0x00,
};

WalRecord real_record(std::span<const std::uint8_t> bytes, std::uint64_t lsn) {
  RecordHeader header = decode_record_header(bytes);
  return WalRecord{Lsn(lsn), Lsn(max_align(lsn + bytes.size())), header, bytes};
}

// PostgreSQL's CRC order: the body, then the header up to xl_crc.
std::uint32_t record_crc(std::span<const std::uint8_t> bytes) {
  Crc32c crc;
  crc.update(bytes.subspan(kRecordHeaderSizeBytes));
  crc.update(bytes.first(kRecordCrcOffsetBytes));
  return crc.finish();
}

TEST(WalRecordTest, RealPostgresCommit_HasValidCrcAndItsTimestamp) {
  WalRecord record = real_record(kRealCommitRecord, 0x15006D0);
  EXPECT_EQ(record_crc(record.bytes), record.header.crc);
  EXPECT_EQ(xact_time_of(record), 848840527591780);
  Result<RecordBody> body = parse_record_body(record);
  ASSERT_TRUE(body.has_value()) << body.error().to_string();
  EXPECT_TRUE(body->blocks.empty());
  EXPECT_EQ(body->main_data.size(), 40u);
}

TEST(WalRecordTest, RealPostgresFullPageImage_ParsesAsPgWaldumpShowsIt) {
  WalRecord record = real_record(kRealFpiRecord, 0x10000C0);
  EXPECT_EQ(record_crc(record.bytes), record.header.crc);
  EXPECT_EQ(record.rmid(), kRmgrXlog);
  EXPECT_EQ(record.rmgr_info(), kXlogFpi);
  Result<RecordBody> body = parse_record_body(record);
  ASSERT_TRUE(body.has_value()) << body.error().to_string();
  ASSERT_EQ(body->blocks.size(), 1u);
  const BlockReference& block = body->blocks[0];
  EXPECT_EQ(block.rel, (RelFileNode{1663, 1, 6117}));
  EXPECT_EQ(block.block_number, 0u);
  ASSERT_TRUE(block.image.has_value());
  EXPECT_EQ(block.image->bytes.size(), 88u);
  EXPECT_EQ(block.image->hole_offset_bytes, 72);
  EXPECT_EQ(block.image->hole_length_bytes, 8192 - 88);
  EXPECT_EQ(block.image->info, kImageHasHole | kImageApply);
  EXPECT_TRUE(block.data.empty());
  EXPECT_TRUE(body->main_data.empty());
}

}  // namespace
}  // namespace sk::pgwal
