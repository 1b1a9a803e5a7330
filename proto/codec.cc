// Conversions between the consensus structs and the generated Protobuf types, and the checks
// that make decoded input safe to hand to the state machines. In this file `proto::X` is the
// generated type and `consensus::X` the struct; nothing else should include the *.pb.h files.
#include "proto/codec.h"

#include <cstdint>
#include <cstring>
#include <string>
#include <utility>
#include <variant>
#include <vector>

#include <google/protobuf/unknown_field_set.h>

#include "proto/control.pb.h"
#include "proto/framing.h"
#include "proto/id_bytes.h"
#include "proto/parse.h"
#include "proto/wire.pb.h"

namespace sk::proto {
namespace {

using consensus::Lsn;
using consensus::Term;

Error malformed(std::string text) {
  return Error(ErrorCode::kMalformedMessage, std::move(text));
}

std::string range_text(Lsn begin, Lsn end) {
  return "[" + begin.to_string() + ", " + end.to_string() + ")";
}

// ----- Shared pieces: ids, identity, term history ------------------------------------------

void write_identity(const consensus::TimelineIdentity& identity, proto::TimelineIdentity* out) {
  write_id(identity.tenant_id, out->mutable_tenant_id());
  write_id(identity.timeline_id, out->mutable_timeline_id());
  out->set_system_id(identity.system_id);
  out->set_pg_version(identity.pg_version);
  out->set_wal_seg_size_bytes(identity.wal_seg_size_bytes);
  out->set_timeline_start_lsn(identity.timeline_start_lsn.value());
}

Result<consensus::TimelineIdentity> read_identity(const proto::TimelineIdentity& in,
                                                  std::string_view what, ErrorCode code) {
  auto tenant =
      read_id<consensus::TenantId>(in.tenant_id(), std::string(what) + " tenant id", code);
  if (!tenant) {
    return tenant.error();
  }
  auto timeline =
      read_id<consensus::TimelineId>(in.timeline_id(), std::string(what) + " timeline id", code);
  if (!timeline) {
    return timeline.error();
  }
  consensus::TimelineIdentity identity;
  identity.tenant_id = *tenant;
  identity.timeline_id = *timeline;
  identity.system_id = in.system_id();
  identity.pg_version = in.pg_version();
  identity.wal_seg_size_bytes = in.wal_seg_size_bytes();
  identity.timeline_start_lsn = Lsn(in.timeline_start_lsn());
  return identity;
}

void write_history(const consensus::TermHistory& history, proto::TermHistory* out) {
  out->mutable_entries()->Reserve(static_cast<int>(history.size()));
  for (const consensus::TermSwitch& entry : history.entries()) {
    proto::TermSwitch* added = out->add_entries();
    added->set_term(entry.term.value());
    added->set_lsn(entry.lsn.value());
  }
}

// The TermHistory invariant, with the first offending entry named: the state machines
// SK_CHECK it, so it must never get past the codec.
Status check_history(const consensus::TermHistory& history, std::string_view what, ErrorCode code) {
  const auto& entries = history.entries();
  for (std::size_t i = 1; i < entries.size(); ++i) {
    const consensus::TermSwitch& previous = entries[i - 1];
    const consensus::TermSwitch& entry = entries[i];
    if (!(previous.term < entry.term)) {
      return Error(code, std::string(what) + " term history entry " + std::to_string(i) +
                             " has term " + std::to_string(entry.term.value()) +
                             ", expected above " + std::to_string(previous.term.value()) +
                             " (terms must strictly increase)");
    }
    if (entry.lsn < previous.lsn) {
      return Error(code, std::string(what) + " term history entry " + std::to_string(i) +
                             " starts at " + entry.lsn.to_string() + ", expected at or after " +
                             previous.lsn.to_string() + " (LSN going backwards)");
    }
  }
  return {};
}

// Converts without checking: the caller checks the result.
consensus::TermHistory history_from_proto(const proto::TermHistory& in) {
  std::vector<consensus::TermSwitch> entries;
  entries.reserve(static_cast<std::size_t>(in.entries_size()));
  for (const proto::TermSwitch& entry : in.entries()) {
    entries.push_back({Term(entry.term()), Lsn(entry.lsn())});
  }
  return consensus::TermHistory(std::move(entries));
}

Result<consensus::TermHistory> read_history(const proto::TermHistory& in, std::string_view what,
                                            ErrorCode code) {
  consensus::TermHistory history = history_from_proto(in);
  if (Status checked = check_history(history, what, code); !checked) {
    return checked.error();
  }
  return history;
}

// An LSN range [begin, end) and the bytes that claim to fill it.
Status check_range(std::string_view what, Lsn begin, Lsn end, std::size_t wal_bytes) {
  if (end < begin) {
    return malformed(std::string(what) + " LSN going backwards: got end " + end.to_string() +
                     ", expected at or after begin " + begin.to_string());
  }
  if (wal_bytes != end.bytes_since(begin)) {
    return malformed(std::string(what) + " " + range_text(begin, end) + " carries " +
                     std::to_string(wal_bytes) + " WAL bytes, expected " +
                     std::to_string(end.bytes_since(begin)));
  }
  return {};
}

std::vector<std::uint8_t> to_bytes(const std::string& wal) {
  // Same element type on both sides, so the copy is one memmove, not a per-byte conversion.
  const auto* data = reinterpret_cast<const std::uint8_t*>(wal.data());
  return std::vector<std::uint8_t>(data, data + wal.size());
}

void assign_bytes(const std::vector<std::uint8_t>& wal, std::string* out) {
  out->assign(reinterpret_cast<const char*>(wal.data()), wal.size());
}

// ----- AppendStatus ---------------------------------------------------------------------------

proto::AppendStatus to_proto(consensus::AppendStatus status) {
  switch (status) {
    case consensus::AppendStatus::kAccepted:
      return proto::APPEND_STATUS_ACCEPTED;
    case consensus::AppendStatus::kStaleTerm:
      return proto::APPEND_STATUS_STALE_TERM;
    case consensus::AppendStatus::kNotElected:
      return proto::APPEND_STATUS_NOT_ELECTED;
    case consensus::AppendStatus::kOutOfOrder:
      return proto::APPEND_STATUS_OUT_OF_ORDER;
    case consensus::AppendStatus::kElectedMismatch:
      return proto::APPEND_STATUS_ELECTED_MISMATCH;
  }
  SK_CHECK_MSG(false, "AppendStatus " + std::to_string(static_cast<int>(status)));
  return proto::APPEND_STATUS_UNSPECIFIED;
}

// proto3 enums are open: any int32 arrives as is, so every value must be checked.
Result<consensus::AppendStatus> from_proto(int status) {
  switch (status) {
    case proto::APPEND_STATUS_ACCEPTED:
      return consensus::AppendStatus::kAccepted;
    case proto::APPEND_STATUS_STALE_TERM:
      return consensus::AppendStatus::kStaleTerm;
    case proto::APPEND_STATUS_NOT_ELECTED:
      return consensus::AppendStatus::kNotElected;
    case proto::APPEND_STATUS_OUT_OF_ORDER:
      return consensus::AppendStatus::kOutOfOrder;
    case proto::APPEND_STATUS_ELECTED_MISMATCH:
      return consensus::AppendStatus::kElectedMismatch;
    default:
      break;
  }
  return malformed("AppendResponse status out of range: got " + std::to_string(status) +
                   ", expected " + std::to_string(proto::APPEND_STATUS_ACCEPTED) + ".." +
                   std::to_string(proto::APPEND_STATUS_ELECTED_MISMATCH));
}

// ----- Configuration --------------------------------------------------------------------------

// Written only when set (generation 0 with no members is "none" and leaves the field absent).
template <typename Message>
void write_configuration(const consensus::Configuration& configuration, Message* out) {
  if (configuration.none()) {
    return;
  }
  proto::Configuration* written = out->mutable_configuration();
  written->set_generation(configuration.generation.value());
  for (consensus::NodeId id : configuration.members) {
    written->add_members(id.value());
  }
  for (consensus::NodeId id : configuration.new_members) {
    written->add_new_members(id.value());
  }
  for (const auto& [id, address] : configuration.addresses) {
    (*written->mutable_addresses())[id.value()] = address;
  }
}

// The configuration a message (or the control state) holds: none when absent; otherwise it
// must pass consensus::validate (`code` names whose fault it is).
template <typename Message>
Result<consensus::Configuration> read_configuration(const Message& in, std::string_view what,
                                                    ErrorCode code) {
  consensus::Configuration configuration;
  if (!in.has_configuration()) {
    return configuration;
  }
  const proto::Configuration& read = in.configuration();
  configuration.generation = consensus::Generation(read.generation());
  for (std::uint64_t id : read.members()) {
    configuration.members.emplace_back(id);
  }
  for (std::uint64_t id : read.new_members()) {
    configuration.new_members.emplace_back(id);
  }
  for (const auto& [id, address] : read.addresses()) {
    configuration.addresses.emplace(consensus::NodeId(id), address);
  }
  if (Status valid = consensus::validate(configuration); !valid) {
    return Error(code, std::string(what) + " configuration: " + valid.error().message());
  }
  return configuration;
}

// ----- Encoding one body per message type -----------------------------------------------------

void write_body(const consensus::ProposerGreeting& m, proto::Frame& frame) {
  proto::ProposerGreeting* out = frame.mutable_proposer_greeting();
  out->set_proposer_id(m.proposer_id.value());
  write_identity(m.identity, out->mutable_identity());
  write_configuration(m.configuration, out);
}

void write_body(const consensus::AcceptorGreeting& m, proto::Frame& frame) {
  proto::AcceptorGreeting* out = frame.mutable_acceptor_greeting();
  out->set_acceptor_id(m.acceptor_id.value());
  out->set_term(m.term.value());
  write_configuration(m.configuration, out);
}

void write_body(const consensus::VoteRequest& m, proto::Frame& frame) {
  frame.mutable_vote_request()->set_term(m.term.value());
  frame.mutable_vote_request()->set_generation(m.generation.value());
}

void write_body(const consensus::VoteResponse& m, proto::Frame& frame) {
  proto::VoteResponse* out = frame.mutable_vote_response();
  out->set_term(m.term.value());
  out->set_vote_given(m.vote_given);
  out->set_flush_lsn(m.flush_lsn.value());
  out->set_truncate_lsn(m.truncate_lsn.value());
  write_history(m.history, out->mutable_history());
}

void write_body(const consensus::ProposerElected& m, proto::Frame& frame) {
  proto::ProposerElected* out = frame.mutable_proposer_elected();
  out->set_term(m.term.value());
  out->set_start_streaming_at(m.start_streaming_at.value());
  write_history(m.history, out->mutable_history());
  out->set_generation(m.generation.value());
}

void write_body(const consensus::AppendRequest& m, proto::Frame& frame) {
  proto::AppendRequest* out = frame.mutable_append_request();
  out->set_term(m.term.value());
  out->set_begin_lsn(m.begin_lsn.value());
  out->set_end_lsn(m.end_lsn.value());
  out->set_commit_lsn(m.commit_lsn.value());
  out->set_truncate_lsn(m.truncate_lsn.value());
  assign_bytes(m.wal, out->mutable_wal());
  out->set_generation(m.generation.value());
}

void write_body(const consensus::AppendResponse& m, proto::Frame& frame) {
  proto::AppendResponse* out = frame.mutable_append_response();
  out->set_term(m.term.value());
  out->set_status(to_proto(m.status));
  out->set_flush_lsn(m.flush_lsn.value());
  out->set_commit_lsn(m.commit_lsn.value());
}

void write_body(const consensus::ReadWalRequest& m, proto::Frame& frame) {
  proto::ReadWalRequest* out = frame.mutable_read_wal_request();
  out->set_term(m.term.value());
  out->set_begin_lsn(m.begin_lsn.value());
  out->set_end_lsn(m.end_lsn.value());
}

void write_body(const consensus::ReadWalResponse& m, proto::Frame& frame) {
  proto::ReadWalResponse* out = frame.mutable_read_wal_response();
  out->set_term(m.term.value());
  out->set_begin_lsn(m.begin_lsn.value());
  out->set_end_lsn(m.end_lsn.value());
  assign_bytes(m.wal, out->mutable_wal());
}

// ----- Decoding one body per message type -----------------------------------------------------

Result<consensus::Message> read_body(const proto::ProposerGreeting& in, const TimelineKey& key) {
  if (!in.has_identity()) {
    return malformed("ProposerGreeting without a timeline identity");
  }
  auto identity = read_identity(in.identity(), "ProposerGreeting", ErrorCode::kMalformedMessage);
  if (!identity) {
    return identity.error();
  }
  // The header routes the frame; an identity naming another timeline would let a greeting
  // checked against one timeline's acceptor claim to be for another.
  if (identity->tenant_id != key.tenant_id) {
    return Error(ErrorCode::kWrongTimeline, "ProposerGreeting for tenant " +
                                                identity->tenant_id.to_hex() + ", expected " +
                                                key.tenant_id.to_hex() + " (the frame's)");
  }
  if (identity->timeline_id != key.timeline_id) {
    return Error(ErrorCode::kWrongTimeline, "ProposerGreeting for timeline " +
                                                identity->timeline_id.to_hex() + ", expected " +
                                                key.timeline_id.to_hex() + " (the frame's)");
  }
  auto configuration = read_configuration(in, "ProposerGreeting", ErrorCode::kMalformedMessage);
  if (!configuration) {
    return configuration.error();
  }
  return consensus::Message(consensus::ProposerGreeting{consensus::NodeId(in.proposer_id()),
                                                        *identity, std::move(*configuration)});
}

Result<consensus::Message> read_body(const proto::VoteResponse& in) {
  const Lsn flush_lsn(in.flush_lsn());
  const Lsn truncate_lsn(in.truncate_lsn());
  if (truncate_lsn > flush_lsn) {
    return malformed("VoteResponse truncate LSN " + truncate_lsn.to_string() +
                     ", expected at or before its flush LSN " + flush_lsn.to_string());
  }
  auto history = read_history(in.history(), "VoteResponse", ErrorCode::kMalformedMessage);
  if (!history) {
    return history.error();
  }
  if (!history->empty() && history->entries().back().lsn > flush_lsn) {
    return malformed("VoteResponse term history " + history->to_string() + " reaches " +
                     history->entries().back().lsn.to_string() +
                     ", expected it cut at the flush LSN " + flush_lsn.to_string());
  }
  return consensus::Message(consensus::VoteResponse{Term(in.term()), in.vote_given(), flush_lsn,
                                                    truncate_lsn, std::move(*history)});
}

Result<consensus::Message> read_body(const proto::ProposerElected& in) {
  auto history = read_history(in.history(), "ProposerElected", ErrorCode::kMalformedMessage);
  if (!history) {
    return history.error();
  }
  return consensus::Message(
      consensus::ProposerElected{Term(in.term()), Lsn(in.start_streaming_at()), std::move(*history),
                                 consensus::Generation(in.generation())});
}

Result<consensus::Message> read_body(const proto::AppendRequest& in) {
  const Lsn begin_lsn(in.begin_lsn());
  const Lsn end_lsn(in.end_lsn());
  if (Status checked = check_range("AppendRequest", begin_lsn, end_lsn, in.wal().size());
      !checked) {
    return checked.error();
  }
  return consensus::Message(consensus::AppendRequest{
      Term(in.term()), begin_lsn, end_lsn, Lsn(in.commit_lsn()), Lsn(in.truncate_lsn()),
      to_bytes(in.wal()), consensus::Generation(in.generation())});
}

Result<consensus::Message> read_body(const proto::AppendResponse& in) {
  auto status = from_proto(in.status());
  if (!status) {
    return status.error();
  }
  const Lsn flush_lsn(in.flush_lsn());
  const Lsn commit_lsn(in.commit_lsn());
  // The acceptor adopts a commit LSN only once it holds the WAL up to it.
  if (commit_lsn > flush_lsn) {
    return malformed("AppendResponse commit LSN " + commit_lsn.to_string() +
                     ", expected at or before its flush LSN " + flush_lsn.to_string());
  }
  return consensus::Message(
      consensus::AppendResponse{Term(in.term()), *status, flush_lsn, commit_lsn});
}

Result<consensus::Message> read_body(const proto::ReadWalRequest& in) {
  const Lsn begin_lsn(in.begin_lsn());
  const Lsn end_lsn(in.end_lsn());
  if (end_lsn < begin_lsn) {
    return malformed("ReadWalRequest LSN going backwards: got end " + end_lsn.to_string() +
                     ", expected at or after begin " + begin_lsn.to_string());
  }
  return consensus::Message(consensus::ReadWalRequest{Term(in.term()), begin_lsn, end_lsn});
}

Result<consensus::Message> read_body(const proto::ReadWalResponse& in) {
  const Lsn begin_lsn(in.begin_lsn());
  const Lsn end_lsn(in.end_lsn());
  if (Status checked = check_range("ReadWalResponse", begin_lsn, end_lsn, in.wal().size());
      !checked) {
    return checked.error();
  }
  return consensus::Message(
      consensus::ReadWalResponse{Term(in.term()), begin_lsn, end_lsn, to_bytes(in.wal())});
}

// Names the unknown fields of a frame without a body, so that a peer speaking a newer protocol
// is told which message we did not understand.
std::string describe_missing_body(const proto::Frame& frame) {
  const google::protobuf::UnknownFieldSet& unknown = frame.GetReflection()->GetUnknownFields(frame);
  if (unknown.field_count() == 0) {
    return "frame without a body: got none, expected one of the body fields 4..12 or 16";
  }
  std::string numbers;
  for (int i = 0; i < unknown.field_count(); ++i) {
    numbers += (i > 0 ? ", " : "") + std::to_string(unknown.field(i).number());
  }
  return "frame with an unknown body type: got field " + numbers +
         ", expected one of the body fields 4..12 or 16";
}

Result<consensus::Message> read_body(const proto::Frame& frame, const TimelineKey& key) {
  switch (frame.body_case()) {
    case proto::Frame::kProposerGreeting:
      return read_body(frame.proposer_greeting(), key);
    case proto::Frame::kAcceptorGreeting: {
      const proto::AcceptorGreeting& in = frame.acceptor_greeting();
      auto configuration = read_configuration(in, "AcceptorGreeting", ErrorCode::kMalformedMessage);
      if (!configuration) {
        return configuration.error();
      }
      return consensus::Message(consensus::AcceptorGreeting{
          consensus::NodeId(in.acceptor_id()), Term(in.term()), std::move(*configuration)});
    }
    case proto::Frame::kVoteRequest:
      return consensus::Message(
          consensus::VoteRequest{Term(frame.vote_request().term()),
                                 consensus::Generation(frame.vote_request().generation())});
    case proto::Frame::kVoteResponse:
      return read_body(frame.vote_response());
    case proto::Frame::kProposerElected:
      return read_body(frame.proposer_elected());
    case proto::Frame::kAppendRequest:
      return read_body(frame.append_request());
    case proto::Frame::kAppendResponse:
      return read_body(frame.append_response());
    case proto::Frame::kReadWalRequest:
      return read_body(frame.read_wal_request());
    case proto::Frame::kReadWalResponse:
      return read_body(frame.read_wal_response());
    case proto::Frame::kError: {
      const ErrorCode code =
          error_code_from_name(frame.error().code()).value_or(ErrorCode::kInternal);
      return Error(code, "peer closed the connection: " + frame.error().code() + ": " +
                             frame.error().message());
    }
    case proto::Frame::BODY_NOT_SET:
      break;
  }
  return malformed(describe_missing_body(frame));
}

// ----- Control state --------------------------------------------------------------------------

Error corrupt(std::string text) {
  return Error(ErrorCode::kCorruption, std::move(text));
}

// The AcceptorState invariants the Acceptor relies on after a restart.
Status check_state(const consensus::AcceptorState& state) {
  if (Status checked = check_history(state.history, "control state", ErrorCode::kCorruption);
      !checked) {
    return checked;
  }
  if (!state.configuration.none()) {
    if (Status valid = consensus::validate(state.configuration); !valid) {
      return corrupt("control state configuration: " + valid.error().message());
    }
  }
  const Lsn start_lsn = state.identity.timeline_start_lsn;
  if (state.truncate_lsn < start_lsn) {
    return corrupt("control state truncate LSN " + state.truncate_lsn.to_string() +
                   ", expected at or after the timeline start " + start_lsn.to_string());
  }
  if (state.commit_lsn < state.truncate_lsn) {
    return corrupt("control state commit LSN " + state.commit_lsn.to_string() +
                   ", expected at or after the truncate LSN " + state.truncate_lsn.to_string());
  }
  return {};
}

proto::Frame frame_of(const TimelineKey& key, const consensus::Message& message) {
  proto::Frame frame;
  frame.set_version(kWireVersion);
  write_id(key.tenant_id, frame.mutable_tenant_id());
  write_id(key.timeline_id, frame.mutable_timeline_id());
  std::visit([&](const auto& body) { write_body(body, frame); }, message);
  return frame;
}

void check_frame_size(std::size_t bytes, const consensus::Message& message) {
  SK_CHECK_MSG(bytes <= kMaxFrameBytes, std::string(consensus::message_name(message)) +
                                            " encodes to " + std::to_string(bytes) +
                                            " bytes, above kMaxFrameBytes");
}

}  // namespace

std::string encode_frame(const TimelineKey& key, const consensus::Message& message) {
  std::string bytes = frame_of(key, message).SerializeAsString();
  check_frame_size(bytes.size(), message);
  return bytes;
}

namespace {

std::string length_prefixed(const proto::Frame& frame, const consensus::Message& message) {
  const std::size_t size = frame.ByteSizeLong();
  check_frame_size(size, message);
  std::string out(kFrameLengthBytes + size, '\0');
  for (std::size_t i = 0; i < kFrameLengthBytes; ++i) {  // Big-endian, as framing.h says.
    out[i] = static_cast<char>((size >> (8 * (kFrameLengthBytes - 1 - i))) & 0xffu);
  }
  // ByteSizeLong() cached the sizes, so this serializes without measuring again.
  auto* body = reinterpret_cast<std::uint8_t*>(out.data() + kFrameLengthBytes);
  const std::uint8_t* end = frame.SerializeWithCachedSizesToArray(body);
  SK_CHECK(end == body + size);
  return out;
}

}  // namespace

std::string encode_length_prefixed_frame(const TimelineKey& key,
                                         const consensus::Message& message) {
  return length_prefixed(frame_of(key, message), message);
}

std::string encode_length_prefixed_greeting(const TimelineKey& key,
                                            const consensus::ProposerGreeting& greeting,
                                            std::string_view auth_token,
                                            std::uint64_t incarnation) {
  const consensus::Message message = greeting;
  proto::Frame frame = frame_of(key, message);
  frame.mutable_proposer_greeting()->set_auth_token(std::string(auth_token));
  frame.mutable_proposer_greeting()->set_incarnation(incarnation);
  return length_prefixed(frame, message);
}

std::string encode_error_frame(const TimelineKey& key, const Error& error) {
  proto::Frame frame;
  frame.set_version(kWireVersion);
  write_id(key.tenant_id, frame.mutable_tenant_id());
  write_id(key.timeline_id, frame.mutable_timeline_id());
  proto::ErrorReply* reply = frame.mutable_error();
  reply->set_code(std::string(error_code_name(error.code())));
  // Bounded, so that the frame always fits.
  reply->set_message(error.message().substr(0, 4096));
  return frame.SerializeAsString();
}

Result<DecodedFrame> decode_frame_for_any_timeline(std::string_view bytes) {
  if (bytes.empty()) {
    return malformed("empty frame: got 0 bytes, expected at least a frame header");
  }
  if (bytes.size() > kMaxFrameBytes) {
    return malformed("frame too large: got " + std::to_string(bytes.size()) +
                     " bytes, expected at most " + std::to_string(kMaxFrameBytes));
  }
  proto::Frame frame;
  if (!parse_quietly(frame, bytes)) {
    return malformed("unparseable frame: got " + std::to_string(bytes.size()) +
                     " bytes, expected a Protobuf sk.proto.Frame");
  }
  if (frame.version() != kWireVersion) {
    return malformed("unsupported wire version: got " + std::to_string(frame.version()) +
                     ", expected " + std::to_string(kWireVersion));
  }
  auto tenant_id = read_id<consensus::TenantId>(frame.tenant_id(), "frame tenant id",
                                                ErrorCode::kMalformedMessage);
  if (!tenant_id) {
    return tenant_id.error();
  }
  auto timeline_id = read_id<consensus::TimelineId>(frame.timeline_id(), "frame timeline id",
                                                    ErrorCode::kMalformedMessage);
  if (!timeline_id) {
    return timeline_id.error();
  }
  TimelineKey key{*tenant_id, *timeline_id};
  auto message = read_body(frame, key);
  if (!message) {
    return message.error();
  }
  DecodedFrame decoded{key, std::move(*message), {}, 0};
  if (frame.body_case() == proto::Frame::kProposerGreeting) {
    decoded.auth_token = frame.proposer_greeting().auth_token();
    decoded.incarnation = frame.proposer_greeting().incarnation();
  }
  return decoded;
}

Result<consensus::Message> decode_frame(std::string_view bytes, const TimelineKey& expected) {
  auto decoded = decode_frame_for_any_timeline(bytes);
  if (!decoded) {
    return decoded.error();
  }
  if (decoded->key.tenant_id != expected.tenant_id) {
    return Error(ErrorCode::kWrongTimeline, "frame for tenant " + decoded->key.tenant_id.to_hex() +
                                                ", expected " + expected.tenant_id.to_hex());
  }
  if (decoded->key.timeline_id != expected.timeline_id) {
    return Error(ErrorCode::kWrongTimeline, "frame for timeline " +
                                                decoded->key.timeline_id.to_hex() + ", expected " +
                                                expected.timeline_id.to_hex());
  }
  return std::move(decoded->message);
}

std::string encode_acceptor_state(const consensus::AcceptorState& state) {
  if (Status checked = check_state(state); !checked) {
    SK_CHECK_MSG(false, "refusing to store a broken acceptor state: " + checked.error().message());
  }
  proto::AcceptorControlState out;
  out.set_format_version(kControlFormatVersion);
  write_identity(state.identity, out.mutable_identity());
  out.set_term(state.term.value());
  write_history(state.history, out.mutable_history());
  out.set_commit_lsn(state.commit_lsn.value());
  out.set_truncate_lsn(state.truncate_lsn.value());
  write_configuration(state.configuration, &out);
  return out.SerializeAsString();
}

Result<consensus::AcceptorState> decode_acceptor_state(std::string_view bytes) {
  if (bytes.empty()) {
    return corrupt("empty control state: got 0 bytes, expected at least its format version");
  }
  if (bytes.size() > kMaxControlStateBytes) {
    return corrupt("control state too large: got " + std::to_string(bytes.size()) +
                   " bytes, expected at most " + std::to_string(kMaxControlStateBytes));
  }
  proto::AcceptorControlState in;
  if (!parse_quietly(in, bytes)) {
    return corrupt("unparseable control state: got " + std::to_string(bytes.size()) +
                   " bytes, expected a Protobuf sk.proto.AcceptorControlState");
  }
  if (in.format_version() != kControlFormatVersion) {
    return Error(ErrorCode::kFailedPrecondition, "unsupported control state format version: got " +
                                                     std::to_string(in.format_version()) +
                                                     ", expected " +
                                                     std::to_string(kControlFormatVersion));
  }
  if (!in.has_identity()) {
    return corrupt("control state without a timeline identity");
  }
  auto identity = read_identity(in.identity(), "control state", ErrorCode::kCorruption);
  if (!identity) {
    return identity.error();
  }
  consensus::AcceptorState state;
  state.identity = *identity;
  state.term = Term(in.term());
  // Unchecked here; check_state below reports an out-of-order history as an Error.
  state.history = history_from_proto(in.history());
  state.commit_lsn = Lsn(in.commit_lsn());
  state.truncate_lsn = Lsn(in.truncate_lsn());
  auto configuration = read_configuration(in, "control state", ErrorCode::kCorruption);
  if (!configuration) {
    return configuration.error();
  }
  state.configuration = std::move(*configuration);
  if (Status checked = check_state(state); !checked) {
    return checked.error();
  }
  return state;
}

}  // namespace sk::proto
