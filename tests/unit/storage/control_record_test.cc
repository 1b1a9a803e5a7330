// The control record's framing: round trip, and every way a stored record can be damaged.
#include "safekeeper/storage/control_record.h"

#include <gtest/gtest.h>

#include "safekeeper/pgwal/crc32c.h"
#include "tests/unit/consensus/test_timeline.h"

namespace sk::storage {
namespace {

using consensus::AcceptorState;
using consensus::Lsn;
using consensus::Term;
using consensus::TermHistory;
using consensus::test_support::at;
using consensus::test_support::test_identity;

AcceptorState sample_state() {
  AcceptorState state = AcceptorState::for_new_timeline(test_identity());
  state.term = Term(7);
  state.history = TermHistory({{Term(0), at(0)}, {Term(3), at(0)}, {Term(7), at(4096)}});
  state.commit_lsn = at(2048);
  state.truncate_lsn = at(1024);
  return state;
}

void put_u32(std::string& bytes, std::size_t offset, std::uint32_t value) {
  for (std::size_t i = 0; i < 4; ++i) {
    bytes[offset + i] = static_cast<char>((value >> (8 * i)) & 0xffu);
  }
}

// Recomputes the checksum of a record whose header or payload a test rewrote on purpose.
void reseal(std::string& record) {
  std::string covered = record.substr(0, 12) + record.substr(kControlRecordHeaderBytes);
  put_u32(record, 12,
          pgwal::crc32c({reinterpret_cast<const std::uint8_t*>(covered.data()), covered.size()}));
}

TEST(ControlRecordTest, EncodeDecode_RoundTrips) {
  const AcceptorState state = sample_state();
  const std::string record = encode_control_record(state);
  ASSERT_GT(record.size(), kControlRecordHeaderBytes);
  EXPECT_EQ(record.substr(0, 4), "SKCS");
  Result<AcceptorState> decoded = decode_control_record(key_of(state), record);
  ASSERT_TRUE(decoded.has_value()) << decoded.error().to_string();
  EXPECT_EQ(*decoded, state);
}

TEST(ControlRecordTest, DamagedRecords_AreCorruptionNamingTheTimeline) {
  const AcceptorState state = sample_state();
  const std::string good = encode_control_record(state);
  struct Case {
    const char* name;
    std::string record;
    const char* expected_text;
  };
  std::string flipped_payload = good;
  flipped_payload[kControlRecordHeaderBytes + 3] ^= 0x10;
  std::string flipped_version = good;
  flipped_version[4] ^= 0x02;
  std::string bad_magic = good;
  bad_magic[0] = 'X';
  std::string garbage_payload = good.substr(0, kControlRecordHeaderBytes) + "not a protobuf";
  put_u32(garbage_payload, 8, 14);
  reseal(garbage_payload);
  const Case cases[] = {
      {"empty", "", "shorter than the 16-byte header"},
      {"torn header", good.substr(0, 10), "shorter than the 16-byte header"},
      {"torn payload", good.substr(0, good.size() - 1), "payload bytes"},
      {"extra bytes", good + "x", "payload bytes"},
      {"flipped payload bit", flipped_payload, "checksum mismatch"},
      {"flipped version bit", flipped_version, "checksum mismatch"},
      {"bad magic", bad_magic, "bad magic"},
      {"checksummed garbage", garbage_payload, "control record of timeline"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    Result<AcceptorState> decoded = decode_control_record(key_of(state), c.record);
    ASSERT_FALSE(decoded.has_value());
    EXPECT_EQ(decoded.error().code(), ErrorCode::kCorruption);
    EXPECT_NE(decoded.error().message().find(c.expected_text), std::string::npos)
        << decoded.error().message();
    EXPECT_NE(decoded.error().message().find(timeline_name(key_of(state))), std::string::npos)
        << decoded.error().message();
  }
}

TEST(ControlRecordTest, NewerVersionWithValidChecksum_IsFailedPrecondition) {
  const AcceptorState state = sample_state();
  std::string record = encode_control_record(state);
  put_u32(record, 4, kControlRecordVersion + 1);
  reseal(record);
  Result<AcceptorState> decoded = decode_control_record(key_of(state), record);
  ASSERT_FALSE(decoded.has_value());
  EXPECT_EQ(decoded.error().code(), ErrorCode::kFailedPrecondition);
  EXPECT_NE(decoded.error().message().find("version 2"), std::string::npos)
      << decoded.error().message();
}

TEST(ControlRecordTest, RecordUnderAnotherTimelinesKey_IsCorruption) {
  const AcceptorState state = sample_state();
  TimelineKey other = key_of(state);
  other.timeline_id = *consensus::TimelineId::parse_hex("00000000000000000000000000000001");
  Result<AcceptorState> decoded = decode_control_record(other, encode_control_record(state));
  ASSERT_FALSE(decoded.has_value());
  EXPECT_EQ(decoded.error().code(), ErrorCode::kCorruption);
  EXPECT_NE(decoded.error().message().find("holds the state of timeline"), std::string::npos);
}

}  // namespace
}  // namespace sk::storage
