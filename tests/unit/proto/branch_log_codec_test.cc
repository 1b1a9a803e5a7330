// Tests of proto/branch_log_codec: every kind of branch log entry survives a round trip, the
// field numbers of SnapshotDeleted stay pinned (bytes written by hand decode), and a damaged id
// in it is Corruption naming the field.
#include "proto/branch_log_codec.h"

#include <cstdint>
#include <string>
#include <vector>

#include <gtest/gtest.h>

namespace sk::proto {
namespace {

using consensus::Lsn;

template <class Id>
Id id_of(std::uint8_t n) {
  typename Id::Bytes bytes{};
  bytes[0] = 0x5a;
  bytes[15] = n;
  return Id(bytes);
}

BranchLogEntry entry_with(BranchLogChange change) {
  return BranchLogEntry{id_of<consensus::ProposalId>(7), 1'700'000'000'000'000, std::move(change)};
}

// A length-delimited field of the Protobuf wire format (field numbers below 16, short values).
std::string bytes_field(int field, const std::string& value) {
  std::string out;
  out.push_back(static_cast<char>((field << 3) | 2));
  out.push_back(static_cast<char>(value.size()));
  return out + value;
}

std::string id_bytes(std::uint8_t first, std::size_t size = 16) {
  std::string out(size, '\0');
  out[0] = static_cast<char>(first);
  return out;
}

TEST(BranchLogCodecTest, EveryChangeKind_RoundTrips) {
  BranchCreated created;
  created.tenant_id = id_of<consensus::TenantId>(1);
  created.name = "dev";
  created.timeline_id = id_of<consensus::TimelineId>(3);
  created.parent_timeline_id = id_of<consensus::TimelineId>(2);
  created.branch_lsn = Lsn(0x1000100);
  created.lsn_chosen = true;
  created.idempotency_key = "k";
  created.request_fingerprint = "f";
  created.is_protected = true;
  created.expires_at_us = 1'764'000'000'000'000;
  const std::vector<BranchLogChange> changes = {
      TenantCreated{id_of<consensus::TenantId>(1), "acme"},
      TenantCreated{id_of<consensus::TenantId>(1), "acme", 7200},
      TenantSettingsChanged{id_of<consensus::TenantId>(1), 86400},
      BranchSettingsChanged{id_of<consensus::TenantId>(1), id_of<consensus::TimelineId>(3), true,
                            std::nullopt},
      BranchSettingsChanged{id_of<consensus::TenantId>(1), id_of<consensus::TimelineId>(3),
                            std::nullopt, 0},
      BranchSettingsChanged{id_of<consensus::TenantId>(1), id_of<consensus::TimelineId>(3), false,
                            1'764'000'000'000'000},
      created,
      BranchDeleted{id_of<consensus::TenantId>(1), id_of<consensus::TimelineId>(3)},
      BranchReset{id_of<consensus::TenantId>(1), id_of<consensus::TimelineId>(3),
                  id_of<consensus::TimelineId>(4), Lsn(0x2000000)},
      BranchRestored{id_of<consensus::TenantId>(1), id_of<consensus::TimelineId>(3),
                     id_of<consensus::TimelineId>(5), id_of<consensus::TimelineId>(3),
                     Lsn(0x1800000), "main-before-restore"},
      BranchRestored{id_of<consensus::TenantId>(1), id_of<consensus::TimelineId>(3),
                     id_of<consensus::TimelineId>(6), id_of<consensus::TimelineId>(2),
                     Lsn(0x1800000), ""},
      SnapshotRegistered{id_of<consensus::TenantId>(1), id_of<consensus::SnapshotId>(9),
                         id_of<consensus::TimelineId>(2), Lsn(0x1000028), Lsn(0x1000100),
                         "/store/t/s", "crc32c:01234567", 42},
      SnapshotDeleted{id_of<consensus::TenantId>(1), id_of<consensus::SnapshotId>(9)},
  };
  for (const BranchLogChange& change : changes) {
    SCOPED_TRACE(change.index());
    const BranchLogEntry original = entry_with(change);
    auto decoded = decode_branch_log_entry(encode_branch_log_entry(original));
    ASSERT_TRUE(decoded.has_value()) << decoded.error().to_string();
    EXPECT_EQ(*decoded, original);
  }
}

TEST(BranchLogCodecTest, SnapshotDeleted_IsField15_WithTenantAndSnapshotIds) {
  const std::string wire =
      std::string("\x08\x01", 2) + bytes_field(2, id_bytes(0xaa)) +
      bytes_field(15, bytes_field(1, id_bytes(0x01)) + bytes_field(2, id_bytes(0x02)));
  auto decoded = decode_branch_log_entry(wire);
  ASSERT_TRUE(decoded.has_value()) << decoded.error().to_string();
  const auto* deleted = std::get_if<SnapshotDeleted>(&decoded->change);
  ASSERT_NE(deleted, nullptr);
  EXPECT_EQ(deleted->tenant_id.bytes()[0], 0x01);
  EXPECT_EQ(deleted->snapshot_id.bytes()[0], 0x02);
}

TEST(BranchLogCodecTest, SnapshotDeleted_WithAShortSnapshotId_IsCorruption) {
  const std::string wire =
      std::string("\x08\x01", 2) + bytes_field(2, id_bytes(0xaa)) +
      bytes_field(15, bytes_field(1, id_bytes(0x01)) + bytes_field(2, id_bytes(0x02, 3)));
  auto decoded = decode_branch_log_entry(wire);
  ASSERT_FALSE(decoded.has_value());
  EXPECT_EQ(decoded.error().code(), ErrorCode::kCorruption);
  EXPECT_NE(decoded.error().message().find("snapshot id"), std::string::npos)
      << decoded.error().message();
}

}  // namespace
}  // namespace sk::proto
