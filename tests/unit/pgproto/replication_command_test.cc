// parse_replication_command: what pg_receivewal and walreceiver send, and what they must not.
#include "safekeeper/pgproto/replication_command.h"

#include <gtest/gtest.h>

namespace sk::pgproto {
namespace {

template <class T>
T parsed_as(std::string_view text) {
  auto command = parse_replication_command(text);
  EXPECT_TRUE(command.has_value()) << text << ": " << command.error().message();
  if (!command) {
    return T{};
  }
  const T* out = std::get_if<T>(&*command);
  EXPECT_NE(out, nullptr) << text << " parsed as alternative " << command->index();
  return out ? *out : T{};
}

TEST(ReplicationCommand, WhatPgReceivewalAndWalreceiverSend) {
  parsed_as<IdentifySystem>("IDENTIFY_SYSTEM");
  parsed_as<IdentifySystem>("identify_system;");
  EXPECT_EQ(parsed_as<Show>("SHOW wal_segment_size").name, "wal_segment_size");
  EXPECT_EQ(parsed_as<Show>("SHOW data_directory_mode").name, "data_directory_mode");
  EXPECT_EQ(parsed_as<ReadReplicationSlot>("READ_REPLICATION_SLOT \"rx\"").slot, "rx");

  const auto start = parsed_as<StartReplication>("START_REPLICATION 0/3000000 TIMELINE 1");
  EXPECT_FALSE(start.slot);
  EXPECT_EQ(start.start, consensus::Lsn(0x3000000));
  EXPECT_EQ(start.pg_timeline, 1u);

  const auto with_slot =
      parsed_as<StartReplication>("START_REPLICATION SLOT \"standby_1\" PHYSICAL 1/A0000000");
  EXPECT_EQ(with_slot.slot, "standby_1");
  EXPECT_EQ(with_slot.start, consensus::Lsn((std::uint64_t{1} << 32) | 0xA0000000));
  EXPECT_FALSE(with_slot.pg_timeline);
}

TEST(ReplicationCommand, SlotCommandsInBothForms) {
  const auto pg15 =
      parsed_as<CreateReplicationSlot>("CREATE_REPLICATION_SLOT \"rx\" PHYSICAL (RESERVE_WAL)");
  EXPECT_EQ(pg15.slot, "rx");
  EXPECT_TRUE(pg15.reserve_wal);
  EXPECT_FALSE(pg15.temporary);

  const auto legacy = parsed_as<CreateReplicationSlot>(
      "create_replication_slot tmp TEMPORARY PHYSICAL RESERVE_WAL");
  EXPECT_TRUE(legacy.temporary);
  EXPECT_TRUE(legacy.reserve_wal);

  EXPECT_FALSE(
      parsed_as<CreateReplicationSlot>("CREATE_REPLICATION_SLOT s PHYSICAL (RESERVE_WAL false)")
          .reserve_wal);
  EXPECT_FALSE(parsed_as<CreateReplicationSlot>("CREATE_REPLICATION_SLOT s PHYSICAL").reserve_wal);

  const auto drop = parsed_as<DropReplicationSlot>("DROP_REPLICATION_SLOT \"rx\" WAIT");
  EXPECT_EQ(drop.slot, "rx");
  EXPECT_TRUE(drop.wait);
  EXPECT_EQ(parsed_as<TimelineHistory>("TIMELINE_HISTORY 2").pg_timeline, 2u);
  // Quoted names keep their case and may hold a doubled quote.
  EXPECT_EQ(parsed_as<ReadReplicationSlot>("READ_REPLICATION_SLOT \"A\"\"b\"").slot, "A\"b");
}

TEST(ReplicationCommand, EmptyAndUnsupportedCommandsAreNotSyntaxErrors) {
  parsed_as<EmptyQuery>("");
  parsed_as<EmptyQuery>("  ;");
  EXPECT_EQ(parsed_as<UnsupportedCommand>("BASE_BACKUP (LABEL 'x')").name, "BASE_BACKUP");
  parsed_as<UnsupportedCommand>("START_REPLICATION SLOT s LOGICAL 0/0");
  parsed_as<UnsupportedCommand>("CREATE_REPLICATION_SLOT s LOGICAL pgoutput");
}

TEST(ReplicationCommand, MalformedCommandsSayWhere) {
  const std::pair<std::string_view, std::string_view> cases[] = {
      {"SELECT 1", "syntax error at or near \"SELECT\""},
      {"START_REPLICATION", "syntax error at end of input"},
      {"START_REPLICATION 0/XYZ", "syntax error at or near \"0/XYZ\""},
      {"START_REPLICATION 0/1 TIMELINE -1", "syntax error at or near \"-1\""},
      {"IDENTIFY_SYSTEM extra", "syntax error at or near \"extra\""},
      {"CREATE_REPLICATION_SLOT s", "syntax error at end of input"},
      {"CREATE_REPLICATION_SLOT s PHYSICAL (RESERVE_WAL maybe)",
       "reserve_wal requires a Boolean value, not \"maybe\""},
      {"CREATE_REPLICATION_SLOT s PHYSICAL (TWO_PHASE)", "unrecognized option: two_phase"},
      {"READ_REPLICATION_SLOT \"unterminated", "unterminated quoted identifier"},
  };
  for (const auto& [text, message] : cases) {
    auto command = parse_replication_command(text);
    ASSERT_FALSE(command.has_value()) << text;
    EXPECT_EQ(command.error().code(), ErrorCode::kInvalidArgument) << text;
    EXPECT_EQ(command.error().message(), message) << text;
  }
}

}  // namespace
}  // namespace sk::pgproto
