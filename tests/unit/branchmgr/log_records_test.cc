#include "branchmgr/log_records.h"

#include <gtest/gtest.h>

#include "test_entries.h"

namespace sk::branchmgr {
namespace {

using consensus::Lsn;
using testing::entry;

TEST(LogRecordsTest, RecordsRoundTrip_WithTheirEndLsns) {
  const proto::BranchLogEntry first = entry(proto::TenantCreated{testing::tenant_id(1), "acme"});
  proto::SnapshotRegistered snapshot;
  snapshot.tenant_id = testing::tenant_id(1);
  snapshot.timeline_id = testing::timeline_id(2);
  snapshot.start_lsn = Lsn(0x1000028);
  snapshot.end_lsn = Lsn(0x1000100);
  snapshot.location = "/snapshots/x.tar";
  snapshot.checksum = "sha256:00";
  snapshot.size_bytes = 42;
  const proto::BranchLogEntry second = entry(snapshot);
  const proto::BranchLogEntry third = entry(testing::branch(1, "dev", 3, 2, 0x1000100));

  std::vector<std::uint8_t> stream = encode_record(first);
  const std::size_t first_size = stream.size();
  for (const auto* e : {&second, &third}) {
    const std::vector<std::uint8_t> record = encode_record(*e);
    stream.insert(stream.end(), record.begin(), record.end());
  }
  auto decoded = decode_records(stream, Lsn(0x2000000));
  ASSERT_TRUE(decoded.has_value()) << decoded.error().to_string();
  const std::vector<DecodedRecord>& records = decoded->records;
  ASSERT_EQ(records.size(), 3u);
  EXPECT_EQ(records[0].entry, first);
  EXPECT_EQ(records[0].end_lsn, Lsn(0x2000000 + first_size));
  EXPECT_EQ(records[1].entry, second);
  EXPECT_EQ(records[2].entry, third);
  EXPECT_EQ(records[2].end_lsn, Lsn(0x2000000 + stream.size()));
  EXPECT_EQ(decoded->torn_tail_bytes, 0u);
}

TEST(LogRecordsTest, RecordCutShort_IsATornTail_WhereverItIsCut) {
  const std::vector<std::uint8_t> whole = encode_record(entry(proto::TenantCreated{}));
  for (std::size_t cut : {std::size_t{1}, std::size_t{3}, std::size_t{4}, whole.size() - 1}) {
    std::vector<std::uint8_t> stream = whole;
    stream.insert(stream.end(), whole.begin(), whole.begin() + static_cast<std::ptrdiff_t>(cut));
    auto decoded = decode_records(stream, Lsn(0x100));
    ASSERT_TRUE(decoded.has_value()) << cut;
    EXPECT_EQ(decoded->records.size(), 1u);
    EXPECT_EQ(decoded->torn_tail_bytes, cut);
  }
}

TEST(LogRecordsTest, GarbagePayload_IsCorruption) {
  const std::vector<std::uint8_t> stream{3, 0, 0, 0, 0xff, 0xff, 0xff};
  auto decoded = decode_records(stream, Lsn(0x100));
  ASSERT_FALSE(decoded.has_value());
  EXPECT_EQ(decoded.error().code(), ErrorCode::kCorruption);
  EXPECT_NE(decoded.error().message().find("0/100"), std::string::npos)
      << decoded.error().message();
}

TEST(LogRecordsTest, EntryWithoutChangeOrWithShortId_IsCorruption) {
  // A version-1 entry with a proposal id but no change: field 1 = 1, field 2 = 16 bytes.
  std::string bytes = "\x08\x01\x12\x10";
  bytes += std::string(16, 'x');
  auto no_change = proto::decode_branch_log_entry(bytes);
  ASSERT_FALSE(no_change.has_value());
  EXPECT_EQ(no_change.error().code(), ErrorCode::kCorruption);

  auto short_id = proto::decode_branch_log_entry(std::string("\x08\x01\x12\x02xy", 6));
  ASSERT_FALSE(short_id.has_value());
  EXPECT_EQ(short_id.error().code(), ErrorCode::kCorruption);
  EXPECT_NE(short_id.error().message().find("proposal id"), std::string::npos);
}

TEST(LogRecordsTest, NewerFormatVersion_IsFailedPrecondition) {
  auto newer = proto::decode_branch_log_entry(std::string("\x08\x02", 2));
  ASSERT_FALSE(newer.has_value());
  EXPECT_EQ(newer.error().code(), ErrorCode::kFailedPrecondition);
}

}  // namespace
}  // namespace sk::branchmgr
