// Unit tests for segment_name.h: segment arithmetic, PostgreSQL's file names in both directions,
// and rejection of names and segment sizes PostgreSQL would not accept.
#include "safekeeper/pgwal/segment_name.h"

#include <cstdint>
#include <string>

#include <gtest/gtest.h>

#include "safekeeper/pgwal/wal_format.h"

namespace sk::pgwal {
namespace {

using consensus::Lsn;

constexpr std::uint64_t kMiB = std::uint64_t{1} << 20;

TEST(SegmentNameTest, Lsn0_3000158_Is_000000010000000000000003) {
  Lsn lsn = *Lsn::parse("0/3000158");
  EXPECT_EQ(segment_file_name(1, segment_number(lsn, 16 * kMiB), 16 * kMiB),
            "000000010000000000000003");
}

TEST(SegmentNameTest, FileName_SplitsSegnoIntoLogIdAndSegment) {
  struct Case {
    std::uint32_t pg_timeline_id;
    const char* lsn;
    std::uint64_t seg_size_bytes;
    const char* name;
  };
  const Case cases[] = {
      {1, "0/1000028", 16 * kMiB, "000000010000000000000001"},
      {1, "0/FFFFFFFF", 16 * kMiB, "0000000100000000000000FF"},
      {1, "1/0", 16 * kMiB, "000000010000000100000000"},
      {2, "16/B374D848", 16 * kMiB, "0000000200000016000000B3"},
      {1, "1/40000000", 1024 * kMiB, "000000010000000100000001"},
      {1, "0/FFF00000", 1 * kMiB, "000000010000000000000FFF"},
      {0xABCDEF01, "FFFFFFFF/FF000000", 16 * kMiB, "ABCDEF01FFFFFFFF000000FF"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    std::uint64_t segno = segment_number(*Lsn::parse(c.lsn), c.seg_size_bytes);
    EXPECT_EQ(segment_file_name(c.pg_timeline_id, segno, c.seg_size_bytes), c.name);
    Result<SegmentFileName> parsed = parse_segment_file_name(c.name, c.seg_size_bytes);
    ASSERT_TRUE(parsed.has_value()) << parsed.error().to_string();
    EXPECT_EQ(parsed->pg_timeline_id, c.pg_timeline_id);
    EXPECT_EQ(parsed->segno, segno);
  }
}

TEST(SegmentNameTest, SegmentStartAndOffset_InvertSegmentNumber) {
  Lsn lsn = *Lsn::parse("16/B374D848");
  std::uint64_t segno = segment_number(lsn, 16 * kMiB);
  EXPECT_EQ(segment_start(segno, 16 * kMiB), *Lsn::parse("16/B3000000"));
  EXPECT_EQ(segment_offset(lsn, 16 * kMiB), 0x74D848u);
  EXPECT_EQ(segment_start(segno, 16 * kMiB).plus_bytes(segment_offset(lsn, 16 * kMiB)), lsn);
}

TEST(SegmentNameTest, Parse_RejectsWhatPostgresRejects) {
  struct Case {
    const char* name;
    const char* why;
  };
  const Case cases[] = {
      {"00000001000000000000000", "23 characters"},
      {"0000000100000000000000030", "25 characters"},
      {"00000001000000000000000a", "lowercase hex"},
      {"00000001000000000000000G", "not hex"},
      {"000000010000000000000003.partial", "suffix"},
      {"000000000000000000000003", "timeline 0"},
      {"000000010000000000000100", "segment part 0x100 >= 256 segments per log id"},
      {"0000000100000000FFFFFFFF", "segment part far out of range"},
      {"", "empty"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.why);
    Result<SegmentFileName> parsed = parse_segment_file_name(c.name, 16 * kMiB);
    ASSERT_FALSE(parsed.has_value());
    EXPECT_EQ(parsed.error().code(), ErrorCode::kInvalidArgument);
  }
}

TEST(SegmentNameTest, RecordStart_IsNonzeroAlignedAndOutsidePageHeaders) {
  struct Case {
    const char* name;
    std::uint64_t lsn;
    std::uint64_t seg_size_bytes;
  };
  const Case refused[] = {
      {"0/0", 0, 16 * kMiB},
      {"unaligned", 0x1002019, 16 * kMiB},
      {"inside a short page header", 0x1002010, 16 * kMiB},
      {"inside a long page header", 0x1000020, 16 * kMiB},
      {"invalid segment size", 0x1002018, 5 * kMiB},
  };
  for (const Case& c : refused) {
    SCOPED_TRACE(c.name);
    Status status = check_record_start(Lsn(c.lsn), c.seg_size_bytes);
    ASSERT_FALSE(status.has_value());
    EXPECT_EQ(status.error().code(), ErrorCode::kInvalidArgument);
  }
  EXPECT_TRUE(check_record_start(Lsn(0x1000028), 16 * kMiB));  // After a long header.
  EXPECT_TRUE(check_record_start(Lsn(0x1002018), 16 * kMiB));  // After a short header.
  EXPECT_TRUE(check_record_start(Lsn(0x1003000), 16 * kMiB));  // Inside a page.
}

TEST(SegmentNameTest, SegmentSize_MustBePowerOfTwoFrom1MiBTo1GiB) {
  for (std::uint64_t ok : {1 * kMiB, 2 * kMiB, 16 * kMiB, 64 * kMiB, 1024 * kMiB}) {
    SCOPED_TRACE(ok);
    EXPECT_TRUE(is_valid_segment_size(ok));
    EXPECT_TRUE(check_segment_size(ok).has_value());
  }
  for (std::uint64_t bad : {std::uint64_t{0}, kMiB / 2, 3 * kMiB, 16 * kMiB + 8192, 2048 * kMiB}) {
    SCOPED_TRACE(bad);
    EXPECT_FALSE(is_valid_segment_size(bad));
    Status status = check_segment_size(bad);
    ASSERT_FALSE(status.has_value());
    EXPECT_EQ(status.error().code(), ErrorCode::kInvalidArgument);
    EXPECT_NE(status.error().message().find("power of two"), std::string::npos);
  }
}

TEST(SegmentNameTest, Parse_WithInvalidSegmentSize_IsError) {
  Result<SegmentFileName> parsed = parse_segment_file_name("000000010000000000000003", 3 * kMiB);
  ASSERT_FALSE(parsed.has_value());
  EXPECT_EQ(parsed.error().code(), ErrorCode::kInvalidArgument);
}

}  // namespace
}  // namespace sk::pgwal
