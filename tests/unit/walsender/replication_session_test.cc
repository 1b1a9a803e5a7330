// ReplicationSession, driven as the PostgreSQL port drives it: client bytes in, the storage
// worker's answers in, and every backend message that comes out decoded and checked.
#include "safekeeper/walsender/replication_session.h"

#include <gtest/gtest.h>

#include "safekeeper/auth/base64.h"

namespace sk::walsender {
namespace {

using consensus::Lsn;
using pgproto::Bytes;
using pgproto::Payload;
using std::chrono::seconds;

constexpr std::uint64_t kSegSize = 16 << 20;
constexpr Lsn kTimelineStart{0x1000000};

struct Message {
  char type = 0;
  Bytes payload;
  std::uint32_t int32_at(std::size_t at) const {
    return (std::uint32_t{payload[at]} << 24) | (std::uint32_t{payload[at + 1]} << 16) |
           (std::uint32_t{payload[at + 2]} << 8) | payload[at + 3];
  }
  std::uint64_t int64_at(std::size_t at) const {
    return (std::uint64_t{int32_at(at)} << 32) | int32_at(at + 4);
  }
  // An ErrorResponse's field, e.g. 'C' for the SQLSTATE.
  std::string field(char code) const {
    std::size_t at = 0;
    while (at < payload.size() && payload[at] != 0) {
      const char c = static_cast<char>(payload[at++]);
      std::string value;
      while (payload[at] != 0) {
        value += static_cast<char>(payload[at++]);
      }
      ++at;
      if (c == code) {
        return value;
      }
    }
    return {};
  }
  // A DataRow's columns (nullopt for NULL).
  std::vector<std::optional<std::string>> row() const {
    std::vector<std::optional<std::string>> out;
    const std::size_t n = (std::size_t{payload[0]} << 8) | payload[1];
    std::size_t at = 2;
    for (std::size_t i = 0; i < n; ++i) {
      const std::uint32_t length = int32_at(at);
      at += 4;
      if (length == 0xFFFFFFFF) {
        out.emplace_back(std::nullopt);
        continue;
      }
      out.emplace_back(std::string(payload.begin() + static_cast<std::ptrdiff_t>(at),
                                   payload.begin() + static_cast<std::ptrdiff_t>(at + length)));
      at += length;
    }
    return out;
  }
};

// Splits backend output; a lone 'N' (the answer to SSLRequest) comes out as type 'N', empty.
std::vector<Message> decode(const Bytes& out) {
  std::vector<Message> messages;
  std::size_t at = 0;
  if (out.size() == 1 && out[0] == 'N') {
    return {{'N', {}}};
  }
  while (at + 5 <= out.size()) {
    Message m;
    m.type = static_cast<char>(out[at]);
    const std::uint32_t length = (std::uint32_t{out[at + 1]} << 24) |
                                 (std::uint32_t{out[at + 2]} << 16) |
                                 (std::uint32_t{out[at + 3]} << 8) | out[at + 4];
    m.payload.assign(out.begin() + static_cast<std::ptrdiff_t>(at + 5),
                     out.begin() + static_cast<std::ptrdiff_t>(at + 1 + length));
    at += 1 + length;
    messages.push_back(std::move(m));
  }
  EXPECT_EQ(at, out.size()) << "trailing bytes in the output";
  return messages;
}

std::string types(const std::vector<Message>& messages) {
  std::string out;
  for (const Message& m : messages) {
    out += m.type;
  }
  return out;
}

const std::string kTenant = "0123456789abcdef0123456789abcdef";
const std::string kTimeline = "00000000000000000000000000000001";

Bytes startup(const std::vector<std::pair<std::string, std::string>>& parameters) {
  Payload body;
  body.int32(196608);
  for (const auto& [name, value] : parameters) {
    body.cstring(name).cstring(value);
  }
  body.int8(0);
  Payload packet;
  packet.int32(static_cast<std::uint32_t>(body.data().size() + 4)).bytes(body.data());
  return packet.data();
}

Bytes reader_startup(std::string options = "-c tenant_id=" + kTenant +
                                           " -c timeline_id=" + kTimeline) {
  return startup({{"user", "postgres"},
                  {"database", "replication"},
                  {"replication", "true"},
                  {"application_name", "pg_receivewal"},
                  {"options", std::move(options)}});
}

Bytes query(const std::string& text) {
  Bytes out;
  pgproto::append_message(out, 'Q', Payload().cstring(text));
  return out;
}

Bytes copy_data(const Payload& inner) {
  Bytes out;
  pgproto::append_message(out, 'd', inner);
  return out;
}

class SessionTest : public ::testing::Test {
 protected:
  SessionTest() {
    info_.identity.tenant_id = *consensus::TenantId::parse_hex(kTenant);
    info_.identity.timeline_id = *consensus::TimelineId::parse_hex(kTimeline);
    info_.identity.system_id = 7311234567890123456ULL;
    info_.identity.pg_version = 150004;
    info_.identity.wal_seg_size_bytes = kSegSize;
    info_.identity.timeline_start_lsn = kTimelineStart;
    info_.committed = Lsn(0x1234568);
  }

  Now at(seconds s) const { return {epoch_ + s, 1'700'000'000'000'000 + s.count() * 1'000'000}; }

  std::unique_ptr<ReplicationSession> make(SessionOptions options = {}) {
    return std::make_unique<ReplicationSession>(next_id_++, options, slots_, at(seconds(0)));
  }

  // Feeds `bytes`, answers every describe request with info_, and returns all output.
  std::vector<Message> send(ReplicationSession& session, const Bytes& bytes,
                            ReplicationSession::Effects* last = nullptr) {
    auto effects = session.on_bytes(bytes, at(seconds(0)));
    Bytes out = effects.output;
    while (effects.describe && !effects.close) {
      effects = session.on_timeline_info(info_, at(seconds(0)));
      out.insert(out.end(), effects.output.begin(), effects.output.end());
    }
    if (last != nullptr) {
      *last = std::move(effects);
    }
    return decode(out);
  }

  std::unique_ptr<ReplicationSession> connected() {
    auto session = make();
    const auto messages = send(*session, reader_startup());
    EXPECT_EQ(messages.back().type, 'Z');
    return session;
  }

  std::chrono::steady_clock::time_point epoch_ = std::chrono::steady_clock::now();
  TimelineInfo info_;
  ReplicationSlots slots_;
  std::uint64_t next_id_ = 1;
};

TEST_F(SessionTest, StartupAnswersSslWithNThenGreetsWithWhatPgReceivewalChecks) {
  auto session = make();
  Payload ssl;
  ssl.int32(8).int32(80877103);
  auto effects = session->on_bytes(ssl.data(), at(seconds(0)));
  EXPECT_EQ(effects.output, Bytes{'N'});
  EXPECT_FALSE(effects.close);

  effects = session->on_bytes(reader_startup(), at(seconds(0)));
  EXPECT_TRUE(effects.output.empty());
  ASSERT_TRUE(effects.describe);  // The timeline is looked up before anything is promised.
  EXPECT_EQ(effects.describe->tenant_id.to_hex(), kTenant);

  effects = session->on_timeline_info(info_, at(seconds(0)));
  const auto messages = decode(effects.output);
  ASSERT_GE(messages.size(), 4u);
  EXPECT_EQ(messages.front().type, 'R');
  EXPECT_EQ(messages.front().int32_at(0), 0u);  // AuthenticationOk.
  std::map<std::string, std::string> parameters;
  for (const Message& m : messages) {
    if (m.type == 'S') {
      const std::string text(m.payload.begin(), m.payload.end());
      parameters[text.substr(0, text.find('\0'))] =
          text.substr(text.find('\0') + 1, text.size() - text.find('\0') - 2);
    }
  }
  EXPECT_EQ(parameters["server_version"], "15.4");
  EXPECT_EQ(parameters["integer_datetimes"], "on");
  EXPECT_EQ(parameters["application_name"], "pg_receivewal");
  EXPECT_EQ(messages[messages.size() - 2].type, 'K');
  EXPECT_EQ(messages.back().type, 'Z');
}

TEST_F(SessionTest, ABadStartupGetsAFatalErrorWithItsSqlstateAndCloses) {
  const std::pair<Bytes, std::string> cases[] = {
      {reader_startup(""), "22023"},                               // No timeline chosen.
      {reader_startup("-c tenant_id=zz timeline_id=1"), "22023"},  // Not 32 hex digits.
      {reader_startup("-c"), "22023"},                             // Unparsable options.
      {startup({{"user", "u"}, {"options", "-c x=1"}}), "0A000"},  // Not a replication connection.
      {startup({{"user", "u"}, {"replication", "database"}}), "0A000"},  // Logical.
      {startup({{"replication", "true"}}), "28000"},                     // No user.
  };
  for (const auto& [packet, sqlstate] : cases) {
    auto session = make();
    ReplicationSession::Effects last;
    const auto messages = send(*session, packet, &last);
    ASSERT_EQ(types(messages), "E") << sqlstate;
    EXPECT_EQ(messages[0].field('S'), "FATAL");
    EXPECT_EQ(messages[0].field('C'), sqlstate) << messages[0].field('M');
    EXPECT_TRUE(last.close);
  }
  // A malformed packet too.
  auto session = make();
  auto effects = session->on_bytes(Bytes{0, 0, 0, 5, 1}, at(seconds(0)));
  EXPECT_TRUE(effects.close);
  EXPECT_EQ(decode(effects.output).at(0).field('C'), "08P01");
}

TEST_F(SessionTest, AnUnknownTimelineIsInvalidCatalogName) {
  auto session = make();
  auto effects = session->on_bytes(reader_startup(), at(seconds(0)));
  ASSERT_TRUE(effects.describe);
  effects = session->on_timeline_info(Error(ErrorCode::kNotFound, "timeline x is not hosted"),
                                      at(seconds(0)));
  EXPECT_TRUE(effects.close);
  EXPECT_EQ(decode(effects.output).at(0).field('C'), "3D000");
}

// RFC 7677's exchange (password "pencil"), as libpq sends it inside PostgreSQL's messages.
TEST_F(SessionTest, ScramAuthentication) {
  SessionOptions options;
  options.users["postgres"] =
      auth::make_scram_verifier("pencil", *auth::base64_decode("W22ZaJ0SNY7soEsUEjb6gQ=="));
  options.sasl_nonce = "%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0";
  const std::string client_first = "n,,n=user,r=rOprNGfwEbeRWgbNEkqO";
  const std::string right_proof = "dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=";
  const std::string wrong_proof = "AHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=";
  for (const auto& [proof, accepted] :
       {std::pair<std::string, bool>{right_proof, true}, {wrong_proof, false}}) {
    auto session = make(options);
    auto messages = send(*session, reader_startup());
    ASSERT_EQ(types(messages), "R");
    EXPECT_EQ(messages[0].int32_at(0), 10u);  // AuthenticationSASL.
    Bytes initial;
    const auto* first_bytes = reinterpret_cast<const std::uint8_t*>(client_first.data());
    pgproto::append_message(initial, 'p',
                            Payload()
                                .cstring("SCRAM-SHA-256")
                                .int32(static_cast<std::uint32_t>(client_first.size()))
                                .bytes({first_bytes, client_first.size()}));
    messages = send(*session, initial);
    ASSERT_EQ(types(messages), "R");
    EXPECT_EQ(messages[0].int32_at(0), 11u);  // AuthenticationSASLContinue.
    const std::string client_final =
        "c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,p=" + proof;
    Bytes response;
    const auto* final_bytes = reinterpret_cast<const std::uint8_t*>(client_final.data());
    pgproto::append_message(response, 'p', Payload().bytes({final_bytes, client_final.size()}));
    ReplicationSession::Effects last;
    messages = send(*session, response, &last);
    if (accepted) {
      ASSERT_GE(messages.size(), 2u);
      EXPECT_EQ(messages[0].int32_at(0), 12u);  // AuthenticationSASLFinal, then the start-up.
      EXPECT_EQ(messages.back().type, 'Z');
      EXPECT_FALSE(last.close);
    } else {
      ASSERT_EQ(types(messages), "E");
      EXPECT_EQ(messages[0].field('C'), "28P01");
      EXPECT_TRUE(last.close);
    }
  }
}

TEST_F(SessionTest, IdentifySystemAndShowReportTheTimelineAsItIsNow) {
  auto session = connected();
  info_.committed = Lsn(0x2000000 + 0x58);
  auto messages = send(*session, query("IDENTIFY_SYSTEM"));
  ASSERT_EQ(types(messages), "TDCZ");
  const auto row = messages[1].row();
  ASSERT_EQ(row.size(), 4u);
  EXPECT_EQ(row[0], "7311234567890123456");
  EXPECT_EQ(row[1], "1");
  EXPECT_EQ(row[2], "0/2000058");
  EXPECT_EQ(row[3], std::nullopt);  // pg_receivewal requires dbname to be NULL.

  messages = send(*session, query("SHOW wal_segment_size"));
  ASSERT_EQ(types(messages), "TDCZ");
  EXPECT_EQ(messages[1].row()[0], "16MB");
  messages = send(*session, query("SHOW data_directory_mode"));
  EXPECT_EQ(messages[1].row()[0], "0700");
  messages = send(*session, query("SHOW shared_buffers"));
  ASSERT_EQ(types(messages), "EZ");
  EXPECT_EQ(messages[0].field('C'), "42704");
}

TEST_F(SessionTest, ABadCommandIsAnErrorAndTheSessionGoesOn) {
  auto session = connected();
  ReplicationSession::Effects last;
  auto messages = send(*session, query("SELECT 1"), &last);
  ASSERT_EQ(types(messages), "EZ");
  EXPECT_EQ(messages[0].field('S'), "ERROR");
  EXPECT_EQ(messages[0].field('C'), "42601");
  EXPECT_FALSE(last.close);
  EXPECT_EQ(types(send(*session, query("BASE_BACKUP"))), "EZ");
  EXPECT_EQ(types(send(*session, query("TIMELINE_HISTORY 2"))), "EZ");
  EXPECT_EQ(types(send(*session, query(""))), "IZ");
  EXPECT_EQ(types(send(*session, query("IDENTIFY_SYSTEM"))), "TDCZ");
}

TEST_F(SessionTest, StartOutsideTheCommittedWalIsRefused) {
  auto session = connected();
  auto messages = send(*session, query("START_REPLICATION 0/2000000 TIMELINE 1"));
  ASSERT_EQ(types(messages), "EZ");  // Ahead of the commit LSN 0/1234568.
  EXPECT_EQ(messages[0].field('C'), "55000");
  messages = send(*session, query("START_REPLICATION 0/0"));
  ASSERT_EQ(types(messages), "EZ");  // Before the timeline's first segment.
  EXPECT_EQ(messages[0].field('C'), "58P01");
  EXPECT_NE(messages[0].field('M').find("000000010000000000000000"), std::string::npos);
  messages = send(*session, query("START_REPLICATION 0/1000000 TIMELINE 2"));
  ASSERT_EQ(types(messages), "EZ");
  messages = send(*session, query("START_REPLICATION SLOT nope 0/1000000"));
  ASSERT_EQ(types(messages), "EZ");
  EXPECT_EQ(messages[0].field('C'), "42704");
}

TEST_F(SessionTest, StreamsCommittedWalContiguouslyInPageAlignedMessages) {
  auto session = connected();
  ReplicationSession::Effects last;
  auto messages = send(*session, query("START_REPLICATION 0/1000000 TIMELINE 1"), &last);
  ASSERT_EQ(types(messages), "W");
  ASSERT_TRUE(last.read);
  EXPECT_EQ(last.read->from, kTimelineStart);

  WalChunk chunk{kTimelineStart, Bytes(300 * 1024 + 100), Lsn(0x1234568)};
  for (std::size_t i = 0; i < chunk.bytes.size(); ++i) {
    chunk.bytes[i] = static_cast<std::uint8_t>(i * 7);
  }
  auto effects = session->on_wal(last.read->id, chunk, at(seconds(1)));
  messages = decode(effects.output);
  ASSERT_EQ(types(messages), "ddd");
  Lsn expected = kTimelineStart;
  Bytes streamed;
  for (const Message& m : messages) {
    ASSERT_EQ(m.payload[0], 'w');
    EXPECT_EQ(Lsn(m.int64_at(1)), expected);
    EXPECT_EQ(Lsn(m.int64_at(9)), Lsn(0x1234568));  // The server's end of WAL.
    const std::size_t n = m.payload.size() - 25;
    EXPECT_LE(n, 128u * 1024);
    streamed.insert(streamed.end(), m.payload.begin() + 25, m.payload.end());
    expected = expected.plus_bytes(n);
    if (&m != &messages.back()) {
      EXPECT_EQ(expected.value() % 8192, 0u);
    }
  }
  EXPECT_EQ(streamed, chunk.bytes);
  ASSERT_TRUE(effects.read);  // And on from where it ended.
  EXPECT_EQ(effects.read->from, expected);

  // An answer to an older request is ignored.
  effects = session->on_wal(last.read->id, chunk, at(seconds(1)));
  EXPECT_TRUE(effects.output.empty());
}

TEST_F(SessionTest, CopyDoneEndsTheStreamAndGarbageInCopyDataCloses) {
  auto session = connected();
  ReplicationSession::Effects last;
  send(*session, query("START_REPLICATION 0/1000000"), &last);
  const std::uint64_t request = last.read->id;
  Bytes done;
  pgproto::append_message(done, 'c', Payload());
  auto messages = send(*session, done);
  EXPECT_EQ(types(messages), "cCCZ");
  EXPECT_FALSE(session->streaming());
  auto effects =
      session->on_wal(request, WalChunk{kTimelineStart, Bytes(10), Lsn(0x1234568)}, at(seconds(1)));
  EXPECT_TRUE(effects.output.empty());  // The stream had ended.

  send(*session, query("START_REPLICATION 0/1000000"), &last);
  Payload garbage;
  garbage.int8('r').int32(1);
  messages = send(*session, copy_data(garbage), &last);
  ASSERT_EQ(types(messages), "E");
  EXPECT_EQ(messages[0].field('C'), "08P01");
  EXPECT_TRUE(last.close);
}

TEST_F(SessionTest, KeepalivesAndTheSilenceTimeout) {
  auto session = connected();
  ReplicationSession::Effects last;
  send(*session, query("START_REPLICATION 0/1000000"), &last);
  EXPECT_TRUE(session->on_tick(at(seconds(5))).output.empty());
  auto messages = decode(session->on_tick(at(seconds(11))).output);
  ASSERT_EQ(types(messages), "d");
  EXPECT_EQ(messages[0].payload[0], 'k');
  EXPECT_EQ(messages[0].payload[17], 0);  // No reply requested yet.
  messages = decode(session->on_tick(at(seconds(31))).output);
  ASSERT_EQ(types(messages), "d");
  EXPECT_EQ(messages[0].payload[17], 1);  // Silent for half the timeout: reply, please.
  EXPECT_FALSE(session->on_tick(at(seconds(45))).close);
  EXPECT_TRUE(session->on_tick(at(seconds(61))).close);
}

TEST_F(SessionTest, StatusUpdatesKeepTheStreamAliveAndMoveTheSlot) {
  auto session = connected();
  auto messages = send(*session, query("CREATE_REPLICATION_SLOT \"rx\" PHYSICAL (RESERVE_WAL)"));
  ASSERT_EQ(types(messages), "TDCZ");
  EXPECT_EQ(messages[1].row()[0], "rx");
  EXPECT_EQ(messages[1].row()[1], "0/0");
  messages = send(*session, query("CREATE_REPLICATION_SLOT rx PHYSICAL"));
  ASSERT_EQ(types(messages), "EZ");
  EXPECT_EQ(messages[0].field('C'), "42710");
  messages = send(*session, query("READ_REPLICATION_SLOT rx"));
  ASSERT_EQ(types(messages), "TDCZ");
  EXPECT_EQ(messages[1].row(),
            (std::vector<std::optional<std::string>>{"physical", "0/1234568", "1"}));

  ReplicationSession::Effects last;
  send(*session, query("START_REPLICATION SLOT \"rx\" 0/1000000"), &last);
  Payload update;
  update.int8('r').int64(0x1300000).int64(0x1300000).int64(0).int64(0).int8(0);
  auto effects = session->on_bytes(copy_data(update), at(seconds(40)));
  EXPECT_FALSE(effects.close);
  EXPECT_EQ(slots_.find(*session->timeline(), "rx")->restart_lsn, Lsn(0x1300000));
  EXPECT_FALSE(session->on_tick(at(seconds(61))).close);  // Heard from at 40 s.

  // While it streams, another session cannot drop or use the slot.
  auto other = connected();
  messages = send(*other, query("DROP_REPLICATION_SLOT rx"));
  ASSERT_EQ(types(messages), "EZ");
  EXPECT_EQ(messages[0].field('C'), "55006");
  session.reset();  // The connection closed.
  EXPECT_EQ(types(send(*other, query("DROP_REPLICATION_SLOT rx"))), "CZ");
  EXPECT_FALSE(slots_.find(*other->timeline(), "rx"));
}

TEST_F(SessionTest, ATemporarySlotEndsWithItsSession) {
  auto session = connected();
  send(*session, query("CREATE_REPLICATION_SLOT tmp TEMPORARY PHYSICAL"));
  const auto key = *session->timeline();
  ASSERT_TRUE(slots_.find(key, "tmp"));
  session.reset();
  EXPECT_FALSE(slots_.find(key, "tmp"));
}

}  // namespace
}  // namespace sk::walsender
