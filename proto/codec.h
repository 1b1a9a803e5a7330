// The codec: the only place that turns consensus structs into Protobuf bytes and back
// (wire.proto for proposer <-> acceptor frames, control.proto for the acceptor's durable state).
// Decoding validates everything a peer or a disk could get wrong and returns an sk::Error naming
// what it got and what it expected; it never throws or aborts on bad input. This header pulls in
// no Protobuf header, so code that only frames bytes does not pay for them.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "consensus/acceptor_state.h"
#include "consensus/messages.h"
#include "consensus/result.h"
#include "consensus/types.h"

namespace sk::proto {

// The Frame.version this codec writes and the only one it reads.
inline constexpr std::uint32_t kWireVersion = 1;
// The AcceptorControlState.format_version this codec writes and the only one it reads.
inline constexpr std::uint32_t kControlFormatVersion = 1;

// Largest encoded frame accepted: a 128 KiB append (the proposer's max_append_bytes) plus its
// header fits many times over, while a peer still cannot make us parse an unbounded buffer.
// The transport should refuse a longer length prefix before reading the bytes at all.
inline constexpr std::size_t kMaxFrameBytes = std::size_t{1024} * 1024;
// Largest encoded control state accepted. The term history grows by one entry (about 12 bytes)
// per elected term, so this is tens of thousands of elections.
inline constexpr std::size_t kMaxControlStateBytes = std::size_t{1024} * 1024;

// Which timeline a frame belongs to; every frame carries it in its header.
struct TimelineKey {
  consensus::TenantId tenant_id;
  consensus::TimelineId timeline_id;
  friend auto operator<=>(const TimelineKey&, const TimelineKey&) = default;
};

// Encodes `message` for the timeline `key`. Writes the struct as given, without validating it:
// checking is the receiver's job (it cannot trust the network anyway), and tests and the
// simulator need to produce malformed frames. Precondition (SK_CHECK): the encoded frame is at
// most kMaxFrameBytes, i.e. the caller bounds the WAL per message.
std::string encode_frame(const TimelineKey& key, const consensus::Message& message);
// The same frame with framing.h's 4-byte length prefix in front, ready for the socket:
// serialized in place, without the copy length_prefixed(encode_frame(...)) makes (an append
// carries up to 128 KiB).
std::string encode_length_prefixed_frame(const TimelineKey& key, const consensus::Message& message);

// Decodes and validates a frame that must belong to `expected`. Errors:
//   kMalformedMessage: empty, oversized or unparseable bytes; unsupported version; an id that
//     is not 16 bytes; no or unknown body; an LSN range going backwards or a WAL size that does
//     not match its range; a term history out of order; an AppendStatus out of range; a commit
//     or truncate LSN beyond the flush LSN it is reported with.
//   kWrongTimeline: a well-formed frame for another tenant or timeline than `expected`, or a
//     ProposerGreeting whose identity names another timeline than its frame header.
[[nodiscard]] Result<consensus::Message> decode_frame(std::string_view bytes,
                                                      const TimelineKey& expected);

// A decoded frame together with the timeline its header names.
struct DecodedFrame {
  TimelineKey key;
  consensus::Message message;
  std::string auth_token;  // A ProposerGreeting's token; empty for other frames or none.
  // A ProposerGreeting's sender's data-directory incarnation; 0 for other frames, or a
  // proposer that is not a safekeeper node.
  std::uint64_t incarnation = 0;
};

// A ProposerGreeting frame carrying `auth_token` and `incarnation` (0: none), length-prefixed as
// encode_length_prefixed_frame's. Neither is a consensus matter: the proposer's I/O adds them
// to the greeting its core sends.
std::string encode_length_prefixed_greeting(const TimelineKey& key,
                                            const consensus::ProposerGreeting& greeting,
                                            std::string_view auth_token,
                                            std::uint64_t incarnation = 0);

// The frame that tells the peer why a connection is being closed. Decoding it (either decode
// function) gives back `error` as an Error with the same code, its message prefixed with
// "peer closed the connection: ".
std::string encode_error_frame(const TimelineKey& key, const Error& error);

// As decode_frame, for a connection that does not know its timeline yet (the first frame, a
// ProposerGreeting, says which one it is). Returns kWrongTimeline only for a ProposerGreeting
// whose own identity names another timeline than its frame header.
[[nodiscard]] Result<DecodedFrame> decode_frame_for_any_timeline(std::string_view bytes);

// Encodes the durable acceptor state. Unlike frames, the state is checked before it is written
// (SK_CHECK, same rules as decode_acceptor_state): a bad state on disk is a node that cannot
// start, so the bug must stop the process that is about to write it.
std::string encode_acceptor_state(const consensus::AcceptorState& state);

// Decodes and validates a stored control state. Errors carry no file name; the caller adds it.
//   kCorruption: empty, oversized or unparseable bytes; missing identity; an id that is not 16
//     bytes; a term history out of order; not timeline_start_lsn <= truncate_lsn <= commit_lsn.
//   kFailedPrecondition: a format_version this build does not know (written by a newer one).
[[nodiscard]] Result<consensus::AcceptorState> decode_acceptor_state(std::string_view bytes);

}  // namespace sk::proto
