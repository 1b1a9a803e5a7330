// Tests of proto/codec: every message and the acceptor state survive a round trip, every
// validation rule rejects its bad input with the right code and a "got X, expected Y" text, the
// field numbers on the wire stay pinned, and no byte string can crash the decoders.
#include "proto/codec.h"

#include <cstdint>
#include <initializer_list>
#include <ostream>
#include <string>
#include <string_view>
#include <vector>

#include <gtest/gtest.h>

#include "consensus/prng.h"
#include "proto/framing.h"

namespace sk::proto {
namespace {

using consensus::AcceptorState;
using consensus::AppendRequest;
using consensus::AppendResponse;
using consensus::AppendStatus;
using consensus::Lsn;
using consensus::Message;
using consensus::NodeId;
using consensus::Term;
using consensus::TermHistory;

// ----- A minimal Protobuf wire writer -------------------------------------------------------
// Crafts inputs the codec would never produce (an unset version, a 3-byte id, status 42). The
// field numbers used with it are the wire contract of wire.proto and control.proto: if a test
// here breaks because a number changed, the change breaks every deployed peer too.

constexpr int kVarint = 0;
constexpr int kFixed64 = 1;
constexpr int kLengthDelimited = 2;

void put_varint(std::string& out, std::uint64_t value) {
  while (value >= 0x80) {
    out.push_back(static_cast<char>((value & 0x7f) | 0x80));
    value >>= 7;
  }
  out.push_back(static_cast<char>(value));
}

void put_tag(std::string& out, int field, int wire_type) {
  put_varint(out, (static_cast<std::uint64_t>(field) << 3) | static_cast<std::uint64_t>(wire_type));
}

std::string varint_field(int field, std::uint64_t value) {
  std::string out;
  put_tag(out, field, kVarint);
  put_varint(out, value);
  return out;
}

std::string fixed64_field(int field, std::uint64_t value) {
  std::string out;
  put_tag(out, field, kFixed64);
  for (int i = 0; i < 8; ++i) {
    out.push_back(static_cast<char>((value >> (8 * i)) & 0xff));
  }
  return out;
}

std::string bytes_field(int field, std::string_view bytes) {
  std::string out;
  put_tag(out, field, kLengthDelimited);
  put_varint(out, bytes.size());
  out.append(bytes);
  return out;
}

// Field numbers from wire.proto and control.proto.
constexpr int kFrameVersion = 1;
constexpr int kFrameTenantId = 2;
constexpr int kFrameTimelineId = 3;
constexpr int kFrameProposerGreeting = 4;
constexpr int kFrameVoteRequest = 6;
constexpr int kFrameAppendRequest = 9;
constexpr int kFrameAppendResponse = 10;
constexpr int kAppendResponseStatus = 2;
constexpr int kControlFormatVersionField = 1;
constexpr int kControlIdentity = 2;
constexpr int kControlTerm = 3;
constexpr int kControlHistory = 4;
constexpr int kControlCommitLsn = 5;
constexpr int kControlTruncateLsn = 6;
constexpr int kIdentityTenantId = 1;
constexpr int kHistoryEntries = 1;
constexpr int kTermSwitchTerm = 1;
constexpr int kTermSwitchLsn = 2;

// ----- Fixtures -------------------------------------------------------------------------------

template <class Id>
Id make_id(std::uint8_t first) {
  typename Id::Bytes bytes{};
  for (std::size_t i = 0; i < bytes.size(); ++i) {
    bytes[i] = static_cast<std::uint8_t>(first + i);
  }
  return Id(bytes);
}

const TimelineKey kKey{make_id<consensus::TenantId>(0x01), make_id<consensus::TimelineId>(0x21)};
const TimelineKey kOtherTenantKey{make_id<consensus::TenantId>(0x41), kKey.timeline_id};
const TimelineKey kOtherTimelineKey{kKey.tenant_id, make_id<consensus::TimelineId>(0x61)};

std::string id_bytes(const consensus::TenantId& id) {
  return std::string(id.bytes().begin(), id.bytes().end());
}
std::string id_bytes(const consensus::TimelineId& id) {
  return std::string(id.bytes().begin(), id.bytes().end());
}

// The frame header as encode_frame writes it for kKey.
std::string frame_header() {
  return varint_field(kFrameVersion, 1) + bytes_field(kFrameTenantId, id_bytes(kKey.tenant_id)) +
         bytes_field(kFrameTimelineId, id_bytes(kKey.timeline_id));
}

consensus::TimelineIdentity make_identity(const TimelineKey& key) {
  consensus::TimelineIdentity identity;
  identity.tenant_id = key.tenant_id;
  identity.timeline_id = key.timeline_id;
  identity.system_id = 0x1234567890abcdefULL;
  identity.pg_version = 150004;
  identity.wal_seg_size_bytes = 16 * 1024 * 1024;
  identity.timeline_start_lsn = Lsn(0x16B3748);
  return identity;
}

std::vector<std::uint8_t> make_wal(std::size_t size_bytes) {
  std::vector<std::uint8_t> wal(size_bytes);
  for (std::size_t i = 0; i < size_bytes; ++i) {
    wal[i] = static_cast<std::uint8_t>(i * 31 + 7);
  }
  return wal;
}

AppendRequest make_append(Lsn begin_lsn, std::size_t size_bytes) {
  AppendRequest request;
  request.term = Term(6);
  request.begin_lsn = begin_lsn;
  request.end_lsn = begin_lsn.plus_bytes(size_bytes);
  request.commit_lsn = Lsn(0x1000);
  request.truncate_lsn = Lsn(0x800);
  request.wal = make_wal(size_bytes);
  return request;
}

// Every number at its maximum: fixed64 and varint fields must carry all 64 bits.
AppendRequest make_append_at_max_lsn() {
  const Lsn max = consensus::kMaxLsn;
  return AppendRequest{Term(UINT64_MAX), max, max, max, max, {}};
}

// A state after a few elections: history with several terms, commit and truncate advanced.
AcceptorState make_busy_state() {
  AcceptorState state = AcceptorState::for_new_timeline(make_identity(kKey));
  const Lsn start = state.identity.timeline_start_lsn;
  state.term = Term(9);
  state.history = TermHistory({{Term(0), start},
                               {Term(2), start.plus_bytes(0x100)},
                               {Term(5), start.plus_bytes(0x100)},
                               {Term(9), start.plus_bytes(0x4000)}});
  state.commit_lsn = start.plus_bytes(0x3000);
  state.truncate_lsn = start.plus_bytes(0x2000);
  return state;
}

template <class T>
void expect_error(const Result<T>& result, ErrorCode code,
                  std::initializer_list<std::string_view> fragments) {
  ASSERT_FALSE(result.has_value()) << "expected " << error_code_name(code);
  EXPECT_EQ(result.error().code(), code) << result.error().to_string();
  for (std::string_view fragment : fragments) {
    EXPECT_NE(result.error().message().find(fragment), std::string::npos)
        << "message lacks \"" << fragment << "\": " << result.error().message();
  }
}

// ----- Round trips of every message type ------------------------------------------------------

struct RoundTripCase {
  std::string name;
  Message message;
};

// Without this gtest prints each case as a hex dump of the struct in the test list.
void PrintTo(const RoundTripCase& c, std::ostream* out) {  // NOLINT(readability-identifier-naming)
  *out << c.name;
}

// g7 {1,2,3} -> {1,2,4}, with the new member's address.
consensus::Configuration joint_configuration() {
  return consensus::Configuration{consensus::Generation(7),
                                  {NodeId(1), NodeId(2), NodeId(3)},
                                  {NodeId(1), NodeId(2), NodeId(4)},
                                  {{NodeId(4), "sk-4.example:5454"}}};
}

std::vector<RoundTripCase> round_trip_cases() {
  const Lsn lsn(0x16B3748);
  const TermHistory history({{Term(0), lsn}, {Term(3), Lsn(0x16B9000)}, {Term(5), Lsn(0x16C0000)}});
  std::vector<RoundTripCase> cases = {
      {"ProposerGreeting", consensus::ProposerGreeting{NodeId(7), make_identity(kKey)}},
      {"ProposerGreetingPlainList",
       consensus::ProposerGreeting{NodeId(7), make_identity(kKey),
                                   consensus::Configuration::of({NodeId(1), NodeId(2)})}},
      {"ProposerGreetingJoint",
       consensus::ProposerGreeting{NodeId(7), make_identity(kKey), joint_configuration()}},
      {"AcceptorGreeting", consensus::AcceptorGreeting{NodeId(2), Term(5)}},
      {"AcceptorGreetingJoint",
       consensus::AcceptorGreeting{NodeId(2), Term(5), joint_configuration()}},
      {"VoteRequest", consensus::VoteRequest{Term(6)}},
      {"VoteRequestGeneration7", consensus::VoteRequest{Term(6), consensus::Generation(7)}},
      {"VoteResponseGranted",
       consensus::VoteResponse{Term(6), true, Lsn(0x16C8000), Lsn(0x16B9000), history}},
      {"VoteResponseRefusedEmptyHistory",
       consensus::VoteResponse{Term(9), false, Lsn(0), Lsn(0), TermHistory()}},
      {"ProposerElected",
       consensus::ProposerElected{
           Term(6), Lsn(0x16C4000),
           TermHistory({{Term(0), lsn}, {Term(3), Lsn(0x16B9000)}, {Term(6), Lsn(0x16C4000)}})}},
      {"AppendRequest8KiB", make_append(Lsn(0x16C4000), std::size_t{8} * 1024)},
      {"AppendRequest128KiB", make_append(Lsn(0x16C4000), std::size_t{128} * 1024)},
      {"AppendRequestHeartbeat", make_append(Lsn(0x16C4000), 0)},
      {"AppendRequestGeneration7",
       [] {
         AppendRequest request = make_append(Lsn(0x16C4000), 16);
         request.generation = consensus::Generation(7);
         return request;
       }()},
      {"ProposerElectedGeneration7",
       consensus::ProposerElected{Term(6), Lsn(0x16C4000),
                                  TermHistory({{Term(0), lsn}, {Term(6), Lsn(0x16C4000)}}),
                                  consensus::Generation(7)}},
      {"AppendRequestAtMaxLsn", make_append_at_max_lsn()},
      {"ReadWalRequest", consensus::ReadWalRequest{Term(6), Lsn(0x16B9000), Lsn(0x16C0000)}},
      {"ReadWalResponse",
       consensus::ReadWalResponse{Term(6), Lsn(0x16B9000), Lsn(0x16B9000 + 300), make_wal(300)}},
      {"ReadWalResponseRefused",
       consensus::ReadWalResponse{Term(7), Lsn(0x16B9000), Lsn(0x16B9000), {}}},
  };
  const AppendStatus statuses[] = {AppendStatus::kAccepted, AppendStatus::kStaleTerm,
                                   AppendStatus::kNotElected, AppendStatus::kOutOfOrder,
                                   AppendStatus::kElectedMismatch};
  for (AppendStatus status : statuses) {
    std::string name = "AppendResponse_";
    for (char c : consensus::append_status_name(status)) {
      name.push_back(c == '-' ? '_' : c);
    }
    cases.push_back({name, AppendResponse{Term(6), status, Lsn(0x16C8000), Lsn(0x16C0000)}});
  }
  return cases;
}

class CodecRoundTripTest : public testing::TestWithParam<RoundTripCase> {};

TEST_P(CodecRoundTripTest, EncodeThenDecode_IsIdentity) {
  const Message& message = GetParam().message;
  std::string bytes = encode_frame(kKey, message);
  Result<Message> decoded = decode_frame(bytes, kKey);
  ASSERT_TRUE(decoded.has_value()) << decoded.error().to_string();
  EXPECT_EQ(*decoded, message);
  EXPECT_EQ(encode_frame(kKey, *decoded), bytes) << "encoding must be deterministic";
  EXPECT_EQ(encode_length_prefixed_frame(kKey, message), length_prefixed(bytes));
}

INSTANTIATE_TEST_SUITE_P(EveryMessage, CodecRoundTripTest, testing::ValuesIn(round_trip_cases()),
                         [](const testing::TestParamInfo<RoundTripCase>& param) {
                           return param.param.name;
                         });

// ----- Frames: pinned bytes, header and envelope checks ----------------------------------------

TEST(FrameCodecTest, EncodeFrame_VoteRequest_MatchesPinnedBytes) {
  std::string expected = frame_header() + bytes_field(kFrameVoteRequest, varint_field(1, 6));
  EXPECT_EQ(encode_frame(kKey, consensus::VoteRequest{Term(6)}), expected);
}

TEST(FrameCodecTest, EncodeFrame_AppendRequest_WritesLsnsAsFixed64) {
  AppendRequest request{Term(6), Lsn(0x1000), Lsn(0x1003), Lsn(0x900), Lsn(0x800), {1, 2, 3}};
  std::string body = varint_field(1, 6) + fixed64_field(2, 0x1000) + fixed64_field(3, 0x1003) +
                     fixed64_field(4, 0x900) + fixed64_field(5, 0x800) +
                     bytes_field(6, std::string("\x01\x02\x03", 3));
  EXPECT_EQ(encode_frame(kKey, request), frame_header() + bytes_field(kFrameAppendRequest, body));
}

TEST(FrameCodecTest, DecodeFrameForAnyTimeline_ReturnsTheHeaderKey) {
  auto decoded = decode_frame_for_any_timeline(
      encode_frame(kOtherTimelineKey, consensus::VoteRequest{Term(3)}));
  ASSERT_TRUE(decoded.has_value()) << decoded.error().to_string();
  EXPECT_EQ(decoded->key, kOtherTimelineKey);
  EXPECT_EQ(decoded->message, Message(consensus::VoteRequest{Term(3)}));
}

TEST(FrameCodecTest, GreetingToken_IsReadBackWithTheGreetingOnly) {
  const consensus::ProposerGreeting greeting{NodeId(7), make_identity(kKey)};
  const std::string framed = encode_length_prefixed_greeting(kKey, greeting, "a.b.c");
  auto decoded = decode_frame_for_any_timeline(std::string_view(framed).substr(4));
  ASSERT_TRUE(decoded.has_value()) << decoded.error().to_string();
  EXPECT_EQ(decoded->message, Message(greeting));
  EXPECT_EQ(decoded->auth_token, "a.b.c");
  // Without a token, the greeting encodes exactly as encode_frame writes it.
  EXPECT_EQ(encode_length_prefixed_greeting(kKey, greeting, ""),
            encode_length_prefixed_frame(kKey, greeting));
  EXPECT_EQ(decode_frame_for_any_timeline(encode_frame(kKey, greeting))->auth_token, "");
}

TEST(FrameCodecTest, GreetingIncarnation_IsReadBackWithTheGreetingOnly) {
  const consensus::ProposerGreeting greeting{NodeId(7), make_identity(kKey)};
  const std::string framed =
      encode_length_prefixed_greeting(kKey, greeting, "", 0x0123456789abcdefULL);
  auto decoded = decode_frame_for_any_timeline(std::string_view(framed).substr(4));
  ASSERT_TRUE(decoded.has_value()) << decoded.error().to_string();
  EXPECT_EQ(decoded->message, Message(greeting));
  EXPECT_EQ(decoded->incarnation, 0x0123456789abcdefULL);
  EXPECT_EQ(decode_frame_for_any_timeline(encode_frame(kKey, greeting))->incarnation, 0u);
  const std::string vote = encode_frame(kKey, consensus::VoteRequest{Term(3)});
  EXPECT_EQ(decode_frame_for_any_timeline(vote)->incarnation, 0u);
}

// Found by fuzz_frame: Protobuf wrote a line to stderr for every string field that is not UTF-8,
// so each bad frame a client sent became a line in the safekeeper's log.
TEST(FrameCodecTest, InvalidUtf8InAStringField_IsMalformedAndLogsNothing) {
  const std::string bad_code = std::string("\x08\x01") + "\x82\x01\x04" + "\x0a\x02\xff\xfe";
  ::testing::internal::CaptureStderr();
  auto decoded = decode_frame_for_any_timeline(bad_code);
  const std::string logged = ::testing::internal::GetCapturedStderr();
  ASSERT_FALSE(decoded.has_value());
  EXPECT_EQ(decoded.error().code(), ErrorCode::kMalformedMessage);
  EXPECT_EQ(logged, "");
}

TEST(FrameCodecTest, DecodeFrame_Empty_IsMalformed) {
  expect_error(decode_frame("", kKey), ErrorCode::kMalformedMessage,
               {"empty frame", "got 0 bytes"});
}

TEST(FrameCodecTest, DecodeFrame_LargerThanMaxFrameBytes_IsMalformed) {
  std::string bytes(kMaxFrameBytes + 1, '\0');
  expect_error(decode_frame(bytes, kKey), ErrorCode::kMalformedMessage,
               {"too large", std::to_string(kMaxFrameBytes + 1), std::to_string(kMaxFrameBytes)});
}

TEST(FrameCodecTest, DecodeFrame_GarbageBytes_IsMalformed) {
  expect_error(decode_frame(std::string("\xff\xff\xff\xff", 4), kKey), ErrorCode::kMalformedMessage,
               {"unparseable", "got 4 bytes", "sk.proto.Frame"});
}

TEST(FrameCodecTest, DecodeFrame_TruncatedFrame_IsMalformed) {
  std::string bytes = encode_frame(kKey, make_append(Lsn(0x1000), 100));
  bytes.pop_back();
  expect_error(decode_frame(bytes, kKey), ErrorCode::kMalformedMessage, {"unparseable"});
}

TEST(FrameCodecTest, DecodeFrame_VersionUnset_IsMalformed) {
  // A later occurrence of a scalar field overrides the earlier one.
  std::string bytes =
      encode_frame(kKey, consensus::VoteRequest{Term(1)}) + varint_field(kFrameVersion, 0);
  expect_error(decode_frame(bytes, kKey), ErrorCode::kMalformedMessage,
               {"unsupported wire version", "got 0", "expected 1"});
}

TEST(FrameCodecTest, DecodeFrame_NewerVersion_IsMalformed) {
  std::string bytes =
      encode_frame(kKey, consensus::VoteRequest{Term(1)}) + varint_field(kFrameVersion, 2);
  expect_error(decode_frame(bytes, kKey), ErrorCode::kMalformedMessage,
               {"unsupported wire version", "got 2", "expected 1"});
}

TEST(FrameCodecTest, DecodeFrame_TenantIdOfWrongLength_IsMalformed) {
  std::string bytes =
      encode_frame(kKey, consensus::VoteRequest{Term(1)}) + bytes_field(kFrameTenantId, "abc");
  expect_error(decode_frame(bytes, kKey), ErrorCode::kMalformedMessage,
               {"tenant id", "of 3 bytes", "expected 16"});
}

TEST(FrameCodecTest, DecodeFrame_TimelineIdOfWrongLength_IsMalformed) {
  std::string bytes = encode_frame(kKey, consensus::VoteRequest{Term(1)}) +
                      bytes_field(kFrameTimelineId, std::string(17, 'x'));
  expect_error(decode_frame(bytes, kKey), ErrorCode::kMalformedMessage,
               {"timeline id", "of 17 bytes", "expected 16"});
}

TEST(FrameCodecTest, DecodeFrame_TimelineIdMissing_IsMalformed) {
  std::string bytes = varint_field(kFrameVersion, 1) +
                      bytes_field(kFrameTenantId, id_bytes(kKey.tenant_id)) +
                      bytes_field(kFrameVoteRequest, varint_field(1, 1));
  expect_error(decode_frame(bytes, kKey), ErrorCode::kMalformedMessage,
               {"timeline id", "of 0 bytes", "expected 16"});
}

TEST(FrameCodecTest, DecodeFrame_OtherTenant_IsWrongTimeline) {
  std::string bytes = encode_frame(kOtherTenantKey, consensus::VoteRequest{Term(1)});
  expect_error(decode_frame(bytes, kKey), ErrorCode::kWrongTimeline,
               {"tenant", kOtherTenantKey.tenant_id.to_hex(), kKey.tenant_id.to_hex()});
}

TEST(FrameCodecTest, DecodeFrame_OtherTimeline_IsWrongTimeline) {
  std::string bytes = encode_frame(kOtherTimelineKey, consensus::VoteRequest{Term(1)});
  expect_error(decode_frame(bytes, kKey), ErrorCode::kWrongTimeline,
               {"timeline", kOtherTimelineKey.timeline_id.to_hex(), kKey.timeline_id.to_hex()});
}

TEST(FrameCodecTest, DecodeFrame_NoBody_IsMalformed) {
  expect_error(decode_frame(frame_header(), kKey), ErrorCode::kMalformedMessage,
               {"without a body", "got none", "expected one of the body fields"});
}

TEST(FrameCodecTest, DecodeFrame_UnknownBodyType_IsMalformedAndNamesTheField) {
  std::string bytes = frame_header() + bytes_field(99, "newer message");
  expect_error(decode_frame(bytes, kKey), ErrorCode::kMalformedMessage,
               {"unknown body type", "got field 99", "expected one of the body fields"});
}

TEST(FrameCodecTest, DecodeFrame_UnknownFieldNextToABody_IsIgnored) {
  // Forward compatibility within version 1: a newer peer may add header fields.
  std::string bytes = encode_frame(kKey, consensus::VoteRequest{Term(4)}) + varint_field(13, 1);
  Result<Message> decoded = decode_frame(bytes, kKey);
  ASSERT_TRUE(decoded.has_value()) << decoded.error().to_string();
  EXPECT_EQ(*decoded, Message(consensus::VoteRequest{Term(4)}));
}

// ----- Frames: per-message checks ------------------------------------------------------------

TEST(FrameCodecTest, DecodeFrame_GreetingWithoutIdentity_IsMalformed) {
  std::string bytes = frame_header() + bytes_field(kFrameProposerGreeting, varint_field(1, 7));
  expect_error(decode_frame(bytes, kKey), ErrorCode::kMalformedMessage,
               {"ProposerGreeting without a timeline identity"});
}

TEST(FrameCodecTest, DecodeFrame_GreetingIdentityWithShortTenantId_IsMalformed) {
  std::string identity = bytes_field(kIdentityTenantId, "short");
  std::string bytes =
      encode_frame(kKey, consensus::ProposerGreeting{NodeId(7), make_identity(kKey)}) +
      bytes_field(kFrameProposerGreeting, bytes_field(2, identity));
  expect_error(decode_frame(bytes, kKey), ErrorCode::kMalformedMessage,
               {"ProposerGreeting tenant id", "of 5 bytes", "expected 16"});
}

TEST(FrameCodecTest, DecodeFrame_GreetingForAnotherTenantThanItsHeader_IsWrongTimeline) {
  consensus::ProposerGreeting greeting{NodeId(7), make_identity(kOtherTenantKey)};
  expect_error(
      decode_frame(encode_frame(kKey, greeting), kKey), ErrorCode::kWrongTimeline,
      {"ProposerGreeting for tenant", kOtherTenantKey.tenant_id.to_hex(), kKey.tenant_id.to_hex()});
}

TEST(FrameCodecTest, DecodeFrame_GreetingForAnotherTimelineThanItsHeader_IsWrongTimeline) {
  consensus::ProposerGreeting greeting{NodeId(7), make_identity(kOtherTimelineKey)};
  expect_error(decode_frame(encode_frame(kKey, greeting), kKey), ErrorCode::kWrongTimeline,
               {"ProposerGreeting for timeline", kOtherTimelineKey.timeline_id.to_hex(),
                kKey.timeline_id.to_hex()});
}

TEST(FrameCodecTest, DecodeFrame_AppendWithEndBeforeBegin_IsMalformed) {
  AppendRequest request{Term(6), Lsn(0x2000), Lsn(0x1000), Lsn(0), Lsn(0), {}};
  expect_error(decode_frame(encode_frame(kKey, request), kKey), ErrorCode::kMalformedMessage,
               {"AppendRequest", "LSN going backwards", "got end 0/1000",
                "expected at or after begin 0/2000"});
}

TEST(FrameCodecTest, DecodeFrame_AppendWithFewerBytesThanItsRange_IsMalformed) {
  AppendRequest request{Term(6), Lsn(0x1000), Lsn(0x1010), Lsn(0), Lsn(0), make_wal(8)};
  expect_error(decode_frame(encode_frame(kKey, request), kKey), ErrorCode::kMalformedMessage,
               {"AppendRequest [0/1000, 0/1010)", "carries 8 WAL bytes", "expected 16"});
}

TEST(FrameCodecTest, DecodeFrame_AppendWithMoreBytesThanItsRange_IsMalformed) {
  AppendRequest request{Term(6), Lsn(0x1000), Lsn(0x1000), Lsn(0), Lsn(0), make_wal(4)};
  expect_error(decode_frame(encode_frame(kKey, request), kKey), ErrorCode::kMalformedMessage,
               {"carries 4 WAL bytes", "expected 0"});
}

TEST(FrameCodecTest, DecodeFrame_ReadWalRequestWithEndBeforeBegin_IsMalformed) {
  consensus::ReadWalRequest request{Term(6), Lsn(0x3000), Lsn(0x2FFF)};
  expect_error(decode_frame(encode_frame(kKey, request), kKey), ErrorCode::kMalformedMessage,
               {"ReadWalRequest", "LSN going backwards", "got end 0/2FFF",
                "expected at or after begin 0/3000"});
}

TEST(FrameCodecTest, DecodeFrame_ReadWalResponseWithEndBeforeBegin_IsMalformed) {
  consensus::ReadWalResponse response{Term(6), Lsn(0x3000), Lsn(0x1000), {}};
  expect_error(decode_frame(encode_frame(kKey, response), kKey), ErrorCode::kMalformedMessage,
               {"ReadWalResponse", "LSN going backwards", "got end 0/1000",
                "expected at or after begin 0/3000"});
}

TEST(FrameCodecTest, DecodeFrame_ReadWalResponseWithBytesNotMatchingItsRange_IsMalformed) {
  consensus::ReadWalResponse response{Term(6), Lsn(0x3000), Lsn(0x3100), make_wal(10)};
  expect_error(decode_frame(encode_frame(kKey, response), kKey), ErrorCode::kMalformedMessage,
               {"ReadWalResponse [0/3000, 0/3100)", "carries 10 WAL bytes", "expected 256"});
}

TEST(FrameCodecTest, DecodeFrame_VoteResponseHistoryWithRepeatedTerm_IsMalformed) {
  consensus::VoteResponse response{Term(6), true, Lsn(0x3000), Lsn(0x1000),
                                   TermHistory({{Term(2), Lsn(0x1000)}, {Term(2), Lsn(0x2000)}})};
  expect_error(decode_frame(encode_frame(kKey, response), kKey), ErrorCode::kMalformedMessage,
               {"VoteResponse term history entry 1", "has term 2", "expected above 2"});
}

TEST(FrameCodecTest, DecodeFrame_VoteResponseHistoryWithLsnGoingBackwards_IsMalformed) {
  consensus::VoteResponse response{Term(6), true, Lsn(0x3000), Lsn(0x1000),
                                   TermHistory({{Term(1), Lsn(0x2000)}, {Term(2), Lsn(0x1800)}})};
  expect_error(
      decode_frame(encode_frame(kKey, response), kKey), ErrorCode::kMalformedMessage,
      {"entry 1", "starts at 0/1800", "expected at or after 0/2000", "LSN going backwards"});
}

TEST(FrameCodecTest, DecodeFrame_VoteResponseHistoryPastItsFlushLsn_IsMalformed) {
  consensus::VoteResponse response{Term(6), true, Lsn(0x3000), Lsn(0x1000),
                                   TermHistory({{Term(1), Lsn(0x1000)}, {Term(2), Lsn(0x3001)}})};
  expect_error(decode_frame(encode_frame(kKey, response), kKey), ErrorCode::kMalformedMessage,
               {"reaches 0/3001", "cut at the flush LSN 0/3000"});
}

TEST(FrameCodecTest, DecodeFrame_VoteResponseTruncateAfterFlush_IsMalformed) {
  consensus::VoteResponse response{Term(6), true, Lsn(0x3000), Lsn(0x4000), TermHistory()};
  expect_error(decode_frame(encode_frame(kKey, response), kKey), ErrorCode::kMalformedMessage,
               {"truncate LSN 0/4000", "expected at or before its flush LSN 0/3000"});
}

TEST(FrameCodecTest, DecodeFrame_ProposerElectedHistoryWithDecreasingTerm_IsMalformed) {
  consensus::ProposerElected elected{Term(6), Lsn(0x1000),
                                     TermHistory({{Term(5), Lsn(0x1000)}, {Term(4), Lsn(0x1000)}})};
  expect_error(decode_frame(encode_frame(kKey, elected), kKey), ErrorCode::kMalformedMessage,
               {"ProposerElected term history entry 1", "has term 4", "expected above 5"});
}

TEST(FrameCodecTest, DecodeFrame_AppendResponseCommitAfterFlush_IsMalformed) {
  AppendResponse response{Term(6), AppendStatus::kAccepted, Lsn(0x2000), Lsn(0x2001)};
  expect_error(decode_frame(encode_frame(kKey, response), kKey), ErrorCode::kMalformedMessage,
               {"commit LSN 0/2001", "expected at or before its flush LSN 0/2000"});
}

TEST(FrameCodecTest, DecodeFrame_AppendStatusOutOfRange_IsMalformed) {
  // Merging a second occurrence of the body overrides just the status.
  AppendResponse response{Term(6), AppendStatus::kAccepted, Lsn(0x2000), Lsn(0x1000)};
  std::string bytes = encode_frame(kKey, response) +
                      bytes_field(kFrameAppendResponse, varint_field(kAppendResponseStatus, 42));
  expect_error(decode_frame(bytes, kKey), ErrorCode::kMalformedMessage,
               {"status out of range", "got 42", "expected 1..5"});
}

TEST(FrameCodecTest, DecodeFrame_AppendStatusUnset_IsMalformed) {
  AppendResponse response{Term(6), AppendStatus::kStaleTerm, Lsn(0x2000), Lsn(0x1000)};
  std::string bytes = encode_frame(kKey, response) +
                      bytes_field(kFrameAppendResponse, varint_field(kAppendResponseStatus, 0));
  expect_error(decode_frame(bytes, kKey), ErrorCode::kMalformedMessage,
               {"status out of range", "got 0", "expected 1..5"});
}

TEST(FrameCodecDeathTest, EncodeFrame_LargerThanMaxFrameBytes_Aborts) {
  AppendRequest request = make_append(Lsn(0x1000), kMaxFrameBytes);
  EXPECT_DEATH((void)encode_frame(kKey, request), "above kMaxFrameBytes");
}

// ----- Acceptor control state ---------------------------------------------------------------

TEST(ControlStateCodecTest, NewTimelineState_RoundTrips) {
  AcceptorState state = AcceptorState::for_new_timeline(make_identity(kKey));
  Result<AcceptorState> decoded = decode_acceptor_state(encode_acceptor_state(state));
  ASSERT_TRUE(decoded.has_value()) << decoded.error().to_string();
  EXPECT_EQ(*decoded, state);
}

TEST(ControlStateCodecTest, StateAfterSeveralElections_RoundTrips) {
  AcceptorState state = make_busy_state();
  Result<AcceptorState> decoded = decode_acceptor_state(encode_acceptor_state(state));
  ASSERT_TRUE(decoded.has_value()) << decoded.error().to_string();
  EXPECT_EQ(*decoded, state);
}

TEST(ControlStateCodecTest, EncodeAcceptorState_WritesFormatVersionFirst) {
  std::string bytes = encode_acceptor_state(make_busy_state());
  EXPECT_EQ(bytes.substr(0, 2), varint_field(kControlFormatVersionField, 1));
}

TEST(ControlStateCodecTest, DecodeAcceptorState_Empty_IsCorruption) {
  expect_error(decode_acceptor_state(""), ErrorCode::kCorruption,
               {"empty control state", "got 0 bytes"});
}

TEST(ControlStateCodecTest, DecodeAcceptorState_LargerThanMax_IsCorruption) {
  expect_error(decode_acceptor_state(std::string(kMaxControlStateBytes + 1, '\0')),
               ErrorCode::kCorruption, {"too large", std::to_string(kMaxControlStateBytes)});
}

TEST(ControlStateCodecTest, DecodeAcceptorState_TornRecord_IsCorruption) {
  std::string bytes = encode_acceptor_state(make_busy_state());
  bytes.resize(bytes.size() - 3);
  expect_error(decode_acceptor_state(bytes), ErrorCode::kCorruption,
               {"unparseable control state", "sk.proto.AcceptorControlState"});
}

TEST(ControlStateCodecTest, DecodeAcceptorState_FormatVersionFromNewerBuild_IsFailedPrecondition) {
  std::string bytes =
      encode_acceptor_state(make_busy_state()) + varint_field(kControlFormatVersionField, 2);
  expect_error(decode_acceptor_state(bytes), ErrorCode::kFailedPrecondition,
               {"format version", "got 2", "expected 1"});
}

TEST(ControlStateCodecTest, DecodeAcceptorState_FormatVersionUnset_IsFailedPrecondition) {
  std::string bytes =
      encode_acceptor_state(make_busy_state()) + varint_field(kControlFormatVersionField, 0);
  expect_error(decode_acceptor_state(bytes), ErrorCode::kFailedPrecondition,
               {"format version", "got 0", "expected 1"});
}

TEST(ControlStateCodecTest, DecodeAcceptorState_WithoutIdentity_IsCorruption) {
  std::string bytes = varint_field(kControlFormatVersionField, 1) + varint_field(kControlTerm, 3);
  expect_error(decode_acceptor_state(bytes), ErrorCode::kCorruption,
               {"without a timeline identity"});
}

TEST(ControlStateCodecTest, DecodeAcceptorState_TenantIdOfWrongLength_IsCorruption) {
  std::string bytes = encode_acceptor_state(make_busy_state()) +
                      bytes_field(kControlIdentity, bytes_field(kIdentityTenantId, "abc"));
  expect_error(decode_acceptor_state(bytes), ErrorCode::kCorruption,
               {"control state tenant id", "of 3 bytes", "expected 16"});
}

TEST(ControlStateCodecTest, DecodeAcceptorState_HistoryWithRepeatedTerm_IsCorruption) {
  // Repeated fields append: this adds (9, 0/FFFFFF00) after the state's last entry (9, ...).
  std::string entry = varint_field(kTermSwitchTerm, 9) + fixed64_field(kTermSwitchLsn, 0xFFFFFF00);
  std::string bytes = encode_acceptor_state(make_busy_state()) +
                      bytes_field(kControlHistory, bytes_field(kHistoryEntries, entry));
  expect_error(decode_acceptor_state(bytes), ErrorCode::kCorruption,
               {"control state term history entry 4", "has term 9", "expected above 9"});
}

TEST(ControlStateCodecTest, DecodeAcceptorState_HistoryWithLsnGoingBackwards_IsCorruption) {
  std::string entry = varint_field(kTermSwitchTerm, 10) + fixed64_field(kTermSwitchLsn, 0x10);
  std::string bytes = encode_acceptor_state(make_busy_state()) +
                      bytes_field(kControlHistory, bytes_field(kHistoryEntries, entry));
  expect_error(decode_acceptor_state(bytes), ErrorCode::kCorruption,
               {"entry 4", "starts at 0/10", "LSN going backwards"});
}

TEST(ControlStateCodecTest, DecodeAcceptorState_CommitBeforeTruncate_IsCorruption) {
  AcceptorState state = make_busy_state();
  std::string bytes = encode_acceptor_state(state) +
                      fixed64_field(kControlCommitLsn, state.truncate_lsn.value() - 1);
  expect_error(decode_acceptor_state(bytes), ErrorCode::kCorruption,
               {"commit LSN " + Lsn(state.truncate_lsn.value() - 1).to_string(),
                "expected at or after the truncate LSN " + state.truncate_lsn.to_string()});
}

TEST(ControlStateCodecTest, DecodeAcceptorState_TruncateBeforeTimelineStart_IsCorruption) {
  AcceptorState state = make_busy_state();
  std::string bytes = encode_acceptor_state(state) + fixed64_field(kControlTruncateLsn, 0x10);
  expect_error(decode_acceptor_state(bytes), ErrorCode::kCorruption,
               {"truncate LSN 0/10", "expected at or after the timeline start " +
                                         state.identity.timeline_start_lsn.to_string()});
}

TEST(ControlStateCodecTest, StateWithAConfiguration_RoundTrips_NoneLeavesTheFieldOut) {
  AcceptorState state = make_busy_state();
  const std::string without = encode_acceptor_state(state);
  state.configuration = joint_configuration();
  Result<AcceptorState> decoded = decode_acceptor_state(encode_acceptor_state(state));
  ASSERT_TRUE(decoded.has_value()) << decoded.error().to_string();
  EXPECT_EQ(*decoded, state);
  // A state written before configurations existed reads as none set.
  Result<AcceptorState> older = decode_acceptor_state(without);
  ASSERT_TRUE(older.has_value());
  EXPECT_TRUE(older->configuration.none());
}

TEST(ControlStateCodecTest, DecodeAcceptorState_ConfigurationWithoutMembers_IsCorruption) {
  constexpr int kControlConfiguration = 7;
  std::string bytes = encode_acceptor_state(make_busy_state()) +
                      bytes_field(kControlConfiguration, varint_field(1, 3));
  expect_error(decode_acceptor_state(bytes), ErrorCode::kCorruption,
               {"control state configuration", "at least one member"});
}

TEST(FrameCodecTest, DecodeFrame_GreetingWithUnsortedMembers_IsMalformed) {
  consensus::Configuration unsorted = joint_configuration();
  std::swap(unsorted.members[0], unsorted.members[1]);
  const std::string bytes =
      encode_frame(kKey, consensus::AcceptorGreeting{NodeId(2), Term(5), std::move(unsorted)});
  expect_error(decode_frame(bytes, kKey), ErrorCode::kMalformedMessage,
               {"AcceptorGreeting configuration", "sorted and unique"});
}

TEST(ControlStateCodecDeathTest, EncodeAcceptorState_BrokenHistory_Aborts) {
  AcceptorState state = make_busy_state();
  state.history = TermHistory(
      {{Term(3), state.identity.timeline_start_lsn}, {Term(2), state.identity.timeline_start_lsn}});
  EXPECT_DEATH((void)encode_acceptor_state(state), "refusing to store a broken acceptor state");
}

// ----- No input crashes the decoders ---------------------------------------------------------
// Bounded, fixed-seed loops (a failure reproduces exactly). Whatever decodes must re-encode to
// something that decodes to the same value, and a decoded control state must pass the encoder's
// own check: decode and encode agree on what is valid.

constexpr std::uint64_t kFuzzSeed = 0x5eed5eed;
constexpr int kFuzzIterations = 20000;

std::string random_bytes(consensus::Prng& prng, std::size_t max_size_bytes) {
  std::string bytes(prng.below(max_size_bytes + 1), '\0');
  for (char& c : bytes) {
    c = static_cast<char>(prng.below(256));
  }
  return bytes;
}

// Flips, inserts, deletes or overwrites a few bytes, or cuts the tail: mostly still parseable,
// so the validation paths get exercised, not just the parser's.
std::string mutate(consensus::Prng& prng, std::string bytes) {
  const std::uint64_t edits = 1 + prng.below(4);
  for (std::uint64_t e = 0; e < edits && !bytes.empty(); ++e) {
    const std::size_t at = prng.below(bytes.size());
    switch (prng.below(5)) {
      case 0:
        bytes[at] = static_cast<char>(bytes[at] ^ (1 << prng.below(8)));
        break;
      case 1:
        bytes.insert(bytes.begin() + static_cast<std::ptrdiff_t>(at),
                     static_cast<char>(prng.below(256)));
        break;
      case 2:
        bytes.erase(at, 1);
        break;
      case 3:
        bytes[at] = static_cast<char>(prng.below(256));
        break;
      default:
        bytes.resize(at);
        break;
    }
  }
  return bytes;
}

void check_frame_decoder_survives(const std::string& bytes) {
  auto decoded = decode_frame_for_any_timeline(bytes);
  if (!decoded) {
    // kWrongTimeline: a greeting whose identity no longer matches its (mutated) header.
    const ErrorCode code = decoded.error().code();
    EXPECT_TRUE(code == ErrorCode::kMalformedMessage || code == ErrorCode::kWrongTimeline)
        << decoded.error().to_string();
    return;
  }
  Result<Message> again = decode_frame(encode_frame(decoded->key, decoded->message), decoded->key);
  ASSERT_TRUE(again.has_value()) << again.error().to_string();
  EXPECT_EQ(*again, decoded->message);
}

void check_state_decoder_survives(const std::string& bytes) {
  auto decoded = decode_acceptor_state(bytes);
  if (!decoded) {
    const ErrorCode code = decoded.error().code();
    EXPECT_TRUE(code == ErrorCode::kCorruption || code == ErrorCode::kFailedPrecondition)
        << decoded.error().to_string();
    return;
  }
  Result<AcceptorState> again = decode_acceptor_state(encode_acceptor_state(*decoded));
  ASSERT_TRUE(again.has_value()) << again.error().to_string();
  EXPECT_EQ(*again, *decoded);
}

TEST(CodecFuzzTest, RandomGarbage_NeverCrashesEitherDecoder) {
  consensus::Prng prng(kFuzzSeed);
  for (int i = 0; i < kFuzzIterations; ++i) {
    std::string bytes = random_bytes(prng, 256);
    SCOPED_TRACE("iteration " + std::to_string(i));
    check_frame_decoder_survives(bytes);
    check_state_decoder_survives(bytes);
    if (testing::Test::HasFailure()) {
      break;
    }
  }
}

TEST(CodecFuzzTest, MutatedValidFrames_DecodeOrFailCleanly) {
  std::vector<std::string> seeds;
  for (const RoundTripCase& c : round_trip_cases()) {
    if (std::holds_alternative<AppendRequest>(c.message) &&
        std::get<AppendRequest>(c.message).wal.size() > 1024) {
      continue;  // Large payloads only slow the loop; the header is what matters here.
    }
    seeds.push_back(encode_frame(kKey, c.message));
  }
  consensus::Prng prng(kFuzzSeed);
  for (int i = 0; i < kFuzzIterations; ++i) {
    std::string bytes = mutate(prng, seeds[prng.below(seeds.size())]);
    SCOPED_TRACE("iteration " + std::to_string(i));
    check_frame_decoder_survives(bytes);
    if (testing::Test::HasFailure()) {
      break;
    }
  }
}

TEST(CodecFuzzTest, MutatedValidControlStates_DecodeOrFailCleanly) {
  const std::vector<std::string> seeds = {
      encode_acceptor_state(AcceptorState::for_new_timeline(make_identity(kKey))),
      encode_acceptor_state(make_busy_state())};
  consensus::Prng prng(kFuzzSeed);
  for (int i = 0; i < kFuzzIterations; ++i) {
    std::string bytes = mutate(prng, seeds[prng.below(seeds.size())]);
    SCOPED_TRACE("iteration " + std::to_string(i));
    check_state_decoder_survives(bytes);
    if (testing::Test::HasFailure()) {
      break;
    }
  }
}

}  // namespace
}  // namespace sk::proto
