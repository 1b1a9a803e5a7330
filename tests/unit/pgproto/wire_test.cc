// The protocol's bytes: built messages against hand-written ones from the protocol's
// documentation, and the reader's handling of partial, split and bad input.
#include "safekeeper/pgproto/wire.h"

#include <gtest/gtest.h>

namespace sk::pgproto {
namespace {

Bytes bytes_of(std::initializer_list<int> values) {
  Bytes out;
  for (int v : values) {
    out.push_back(static_cast<std::uint8_t>(v));
  }
  return out;
}

Bytes startup_packet(std::uint32_t version, std::string_view body) {
  Payload p;
  p.int32(static_cast<std::uint32_t>(8 + body.size())).int32(version);
  p.bytes({reinterpret_cast<const std::uint8_t*>(body.data()), body.size()});
  return p.data();
}

TEST(Wire, BackendMessagesHaveTheDocumentedBytes) {
  Bytes out;
  ready_for_query(out);
  EXPECT_EQ(out, bytes_of({'Z', 0, 0, 0, 5, 'I'}));

  out.clear();
  command_complete(out, "SHOW");
  EXPECT_EQ(out, bytes_of({'C', 0, 0, 0, 9, 'S', 'H', 'O', 'W', 0}));

  out.clear();
  data_row(out, {std::string("ab"), std::nullopt});
  EXPECT_EQ(out, bytes_of({'D', 0, 0, 0, 16, 0, 2, 0, 0, 0, 2, 'a', 'b', 0xFF, 0xFF, 0xFF, 0xFF}));

  out.clear();
  primary_keepalive(out, consensus::Lsn(0x0102030405060708), 9, true);
  EXPECT_EQ(out,
            bytes_of({'d', 0, 0, 0, 22, 'k', 1, 2, 3, 4, 5, 6, 7, 8, 0, 0, 0, 0, 0, 0, 0, 9, 1}));

  out.clear();
  const std::uint8_t wal[] = {0xAA, 0xBB};
  xlog_data(out, consensus::Lsn(0x10), consensus::Lsn(0x20), 0, wal);
  ASSERT_EQ(out.size(), 1u + 4 + 25 + 2);  // XLogData's header is 25 bytes.
  EXPECT_EQ(out[5], 'w');
  EXPECT_EQ(out[13], 0x10);
  EXPECT_EQ(out.back(), 0xBB);

  out.clear();
  error_response(out, {true, "28P01", "no", "", ""});
  const Bytes expected_fields =
      bytes_of({'S', 'F', 'A', 'T', 'A', 'L', 0,   'V', 'F', 'A', 'T', 'A', 'L',
                0,   'C', '2', '8', 'P', '0', '1', 0,   'M', 'n', 'o', 0,   0});
  ASSERT_EQ(out.size(), 5 + expected_fields.size());
  EXPECT_EQ(Bytes(out.begin() + 5, out.end()), expected_fields);
}

TEST(Wire, ProtocolTimeIsMicrosecondsSince2000) {
  EXPECT_EQ(pg_time_from_unix_micros(946684800LL * 1000000), 0);
  EXPECT_EQ(pg_time_from_unix_micros(946684801LL * 1000000), 1000000);
}

TEST(Wire, StartupPacketSplitAnywhereIsReadOnceWhole) {
  const std::string body = std::string("user\0postgres\0replication\0true\0\0", 32);
  const Bytes packet = startup_packet(196608, body);
  for (std::size_t split = 0; split <= packet.size(); ++split) {
    FrontendReader reader;
    reader.feed(std::span(packet).first(split));
    auto first = reader.next_startup();
    ASSERT_TRUE(first.has_value());
    if (split < packet.size()) {
      EXPECT_FALSE(first->has_value()) << split;
      reader.feed(std::span(packet).subspan(split));
      first = reader.next_startup();
      ASSERT_TRUE(first.has_value());
    }
    ASSERT_TRUE(first->has_value()) << split;
    EXPECT_EQ((*first)->kind, StartupPacket::Kind::kStartup);
    EXPECT_EQ((*first)->parameters.at("user"), "postgres");
    EXPECT_EQ((*first)->parameters.at("replication"), "true");
    EXPECT_EQ(reader.buffered(), 0u);
  }
}

TEST(Wire, SslRequestThenStartup) {
  FrontendReader reader;
  reader.feed(startup_packet(80877103, ""));
  reader.feed(startup_packet(196608, std::string("user\0u\0\0", 8)));
  auto ssl = reader.next_startup();
  ASSERT_TRUE(ssl.has_value() && ssl->has_value());
  EXPECT_EQ((*ssl)->kind, StartupPacket::Kind::kSslRequest);
  auto startup = reader.next_startup();
  ASSERT_TRUE(startup.has_value() && startup->has_value());
  EXPECT_EQ((*startup)->parameters.at("user"), "u");
}

TEST(Wire, MalformedStartupPacketsAreErrors) {
  const Bytes cases[] = {
      bytes_of({0, 0, 0, 4}),                                      // Shorter than its header.
      bytes_of({0x7F, 0, 0, 0}),                                   // Far too long.
      startup_packet(196608, std::string("user\0u", 6)),           // No terminators.
      startup_packet(196608, std::string("user\0\0", 6)),          // No final terminator.
      startup_packet(196608, std::string("user\0u\0\0junk", 12)),  // Bytes after the end.
  };
  for (const Bytes& bad : cases) {
    FrontendReader reader;
    reader.feed(bad);
    auto packet = reader.next_startup();
    ASSERT_FALSE(packet.has_value());
    EXPECT_EQ(packet.error().code(), ErrorCode::kMalformedMessage);
  }
}

TEST(Wire, MessagesAndTheirBounds) {
  FrontendReader reader;
  Bytes query;
  append_message(query, 'Q', Payload().cstring("IDENTIFY_SYSTEM"));
  reader.feed(query);
  reader.feed(bytes_of({'X', 0, 0}));
  auto message = reader.next_message();
  ASSERT_TRUE(message.has_value() && message->has_value());
  EXPECT_EQ((*message)->type, 'Q');
  EXPECT_EQ(*payload_cstring((*message)->payload), "IDENTIFY_SYSTEM");
  auto partial = reader.next_message();
  ASSERT_TRUE(partial.has_value());
  EXPECT_FALSE(partial->has_value());

  FrontendReader huge;
  huge.feed(bytes_of({'d', 0x7F, 0xFF, 0xFF, 0xFF}));
  auto refused = huge.next_message();
  ASSERT_FALSE(refused.has_value());
  EXPECT_EQ(refused.error().code(), ErrorCode::kMalformedMessage);
  EXPECT_FALSE(payload_cstring(bytes_of({'a', 'b'})).has_value());
}

TEST(Wire, StandbyMessages) {
  Payload update;
  update.int8('r').int64(0x300).int64(0x200).int64(0x100).int64(7).int8(1);
  auto parsed = parse_standby_message(update.data());
  ASSERT_TRUE(parsed.has_value());
  const auto& status = std::get<StandbyStatusUpdate>(*parsed);
  EXPECT_EQ(status.write, consensus::Lsn(0x300));
  EXPECT_EQ(status.flush, consensus::Lsn(0x200));
  EXPECT_EQ(status.apply, consensus::Lsn(0x100));
  EXPECT_TRUE(status.reply_requested);

  Payload feedback;
  feedback.int8('h').int64(1).int32(700).int32(0).int32(0).int32(0);
  auto hot = parse_standby_message(feedback.data());
  ASSERT_TRUE(hot.has_value());
  EXPECT_EQ(std::get<HotStandbyFeedback>(*hot).xmin, 700u);

  EXPECT_FALSE(parse_standby_message(bytes_of({'r', 1, 2})).has_value());
  EXPECT_FALSE(parse_standby_message(bytes_of({'z'})).has_value());
  EXPECT_FALSE(parse_standby_message({}).has_value());
}

}  // namespace
}  // namespace sk::pgproto
