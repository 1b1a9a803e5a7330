// The proposer <-> acceptor protocol as plain structs. proto/codec is the only place that turns
// them into bytes. Names follow Neon's safekeeper protocol (docs/PROTOCOL.md walks through them).
//
// Flow: greeting both ways -> VoteRequest/VoteResponse (phase 1) -> ProposerElected (acceptor
// truncates what diverges and adopts the proposer's history) -> AppendRequest/AppendResponse
// (phase 2). ReadWalRequest/ReadWalResponse let an elected proposer fetch WAL it does not have
// (written in earlier terms) from an acceptor of its own term, to recover lagging acceptors.
#pragma once

#include <cstdint>
#include <string_view>
#include <variant>
#include <vector>

#include "consensus/configuration.h"
#include "consensus/term_history.h"
#include "consensus/types.h"

namespace sk::consensus {

// Proposer -> acceptor, first message on a connection: which timeline, what WAL format, and
// the proposer's configuration (an acceptor that is one of its acceptors adopts a higher one).
struct ProposerGreeting {
  NodeId proposer_id;
  TimelineIdentity identity;  // timeline_start_lsn is informational here; not compared.
  Configuration configuration{};
  friend bool operator==(const ProposerGreeting&, const ProposerGreeting&) = default;
};

// Acceptor -> proposer: who it is, its current promise and its configuration (a proposer of a
// lower generation stops: configuration.h).
struct AcceptorGreeting {
  NodeId acceptor_id;
  Term term;
  Configuration configuration{};
  friend bool operator==(const AcceptorGreeting&, const AcceptorGreeting&) = default;
};

// Phase 1: "promise not to accept anything from terms below `term`, and vote for me".
// VoteRequest, ProposerElected and AppendRequest carry the proposer's configuration generation:
// an acceptor of another generation refuses them.
struct VoteRequest {
  Term term;
  Generation generation{};
  friend bool operator==(const VoteRequest&, const VoteRequest&) = default;
};

// The acceptor's log position comes with every answer, granted or not, so that a proposer can
// pick the most advanced log and compute where to stream each acceptor from.
struct VoteResponse {
  Term term;  // The acceptor's term after handling the request.
  bool vote_given = false;
  Lsn flush_lsn;        // Durable end of the acceptor's WAL (flushed before answering).
  Lsn truncate_lsn;     // Below this every acceptor holds the WAL (peer horizon).
  TermHistory history;  // Cut at flush_lsn.
  friend bool operator==(const VoteResponse&, const VoteResponse&) = default;
};

// "I won `term`; my log is `history`; truncate yours at `start_streaming_at` and adopt it."
struct ProposerElected {
  Term term;
  Lsn start_streaming_at;
  TermHistory history;
  Generation generation{};
  friend bool operator==(const ProposerElected&, const ProposerElected&) = default;
};

// Phase 2: WAL bytes [begin_lsn, end_lsn). Empty (begin == end) is a heartbeat carrying the
// commit LSN.
struct AppendRequest {
  Term term;
  Lsn begin_lsn;
  Lsn end_lsn;
  Lsn commit_lsn;
  Lsn truncate_lsn;
  std::vector<std::uint8_t> wal;
  Generation generation{};
  friend bool operator==(const AppendRequest&, const AppendRequest&) = default;
};

enum class AppendStatus : std::uint8_t {
  kAccepted,         // Written and flushed; flush_lsn is the new durable end.
  kStaleTerm,        // The acceptor promised a higher term (in `term`): the proposer is fenced.
  kNotElected,       // The acceptor has not adopted this term's history yet (no ProposerElected).
  kOutOfOrder,       // begin_lsn != the acceptor's flush_lsn: resend from flush_lsn.
  kElectedMismatch,  // ProposerElected's start point differs from the acceptor's own computation.
};
std::string_view append_status_name(AppendStatus status);

// Answer to ProposerElected and to every AppendRequest.
struct AppendResponse {
  Term term;
  AppendStatus status = AppendStatus::kAccepted;
  Lsn flush_lsn;
  Lsn commit_lsn;
  friend bool operator==(const AppendResponse&, const AppendResponse&) = default;
};

// Recovery: an elected proposer asks an acceptor of its own term for WAL [begin_lsn, end_lsn).
struct ReadWalRequest {
  Term term;
  Lsn begin_lsn;
  Lsn end_lsn;
  friend bool operator==(const ReadWalRequest&, const ReadWalRequest&) = default;
};

// The WAL asked for, or `wal` empty and `term` the acceptor's when it is no longer in the
// requested term or does not hold the range.
struct ReadWalResponse {
  Term term;
  Lsn begin_lsn;
  Lsn end_lsn;
  std::vector<std::uint8_t> wal;
  friend bool operator==(const ReadWalResponse&, const ReadWalResponse&) = default;
};

using Message =
    std::variant<ProposerGreeting, AcceptorGreeting, VoteRequest, VoteResponse, ProposerElected,
                 AppendRequest, AppendResponse, ReadWalRequest, ReadWalResponse>;

// "VoteRequest", ... for traces and errors.
std::string_view message_name(const Message& message);

}  // namespace sk::consensus
