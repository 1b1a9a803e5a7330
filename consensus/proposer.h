// Proposer: the walproposer's side of the protocol for one timeline, as a pure state machine.
// Messages, timer ticks and new WAL in; messages out. No sockets, clocks or threads: the
// walproposer drives it with an Asio timer and real connections, the simulator with virtual time.
//
// Life cycle: kGreeting (greet every acceptor; greetings from a quorum of the configuration,
// configuration.h, start a campaign) ->
// kCampaigning (term = highest term seen + 1; VoteRequest to every greeted acceptor) ->
// kElected (donor = voter with the highest (last log term, flush LSN); history = donor's +
// (term, donor flush); ProposerElected to each acceptor with its own highest common point;
// stream WAL, fetching what the proposer lacks from acceptors of its term) -> kFenced when any
// acceptor reports a higher term. A lost campaign starts again with a higher term after a
// randomised back-off; a fenced proposer stays fenced (its primary must not commit any more).
// Any phase -> kSuperseded when an acceptor greets with a higher configuration generation: a
// proposer never changes its configuration, its driver starts a new one with the newer.
//
// Commit LSN = the highest record boundary flushed by a quorum at or after this term's start:
// acknowledgements that only cover earlier terms' WAL do not count (Raft's figure 8).
#pragma once

#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <optional>
#include <span>
#include <vector>

#include "consensus/configuration.h"
#include "consensus/messages.h"
#include "consensus/mutation.h"
#include "consensus/prng.h"
#include "consensus/ready.h"
#include "consensus/result.h"

namespace sk::consensus {

struct ProposerConfig {
  NodeId proposer_id;
  TimelineIdentity identity;
  // The acceptors whose votes and acknowledgements count (3 or 5 usually; joint during a
  // change, configuration.h); every one is sent everything.
  Configuration configuration;
  // A campaign that has not won after this many ticks (plus jitter) starts again.
  std::uint32_t election_timeout_ticks = 10;
  std::uint32_t election_jitter_ticks = 10;
  // An acceptor silent this long is treated as disconnected: greeted again from scratch.
  // 0 disables it (the explorer models disconnections as events of their own).
  std::uint32_t peer_timeout_ticks = 30;
  // Unanswered messages to an acceptor are sent again after this many ticks.
  std::uint32_t resend_ticks = 4;
  // An idle streaming acceptor gets an empty AppendRequest (carrying the commit LSN) this often.
  std::uint32_t heartbeat_ticks = 2;
  // When the commit LSN moves, idle streaming acceptors are sent it at once (an empty
  // AppendRequest) instead of with the next heartbeat. For logs whose readers on every node must
  // see a commit as soon as its writer is told (the branch log); the walproposer leaves it off,
  // because each announcement costs every acceptor a WAL fdatasync.
  bool announce_commit = false;
  std::uint64_t max_append_bytes = 128 * 1024;
  // Unacknowledged bytes in flight per acceptor.
  std::uint64_t max_inflight_bytes = 1024 * 1024;
  // WAL held in memory that a majority has not committed yet. propose() refuses beyond it, so
  // the walproposer stops reading from the primary (back-pressure) instead of growing without
  // bound while no quorum acknowledges.
  std::uint64_t max_uncommitted_bytes = 64 * 1024 * 1024;
  std::uint64_t jitter_seed = 1;
  // Exhaustive exploration bound: never campaign above this term (0: no bound).
  Term max_term{0};
  Mutation mutation = Mutation::kNone;
};

enum class ProposerPhase : std::uint8_t {
  kGreeting,
  kCampaigning,
  kElected,
  kFenced,
  kGaveUp,
  kSuperseded,  // An acceptor is at a higher configuration generation: see newer_configuration().
};
std::string_view proposer_phase_name(ProposerPhase phase);

class Proposer {
 public:
  explicit Proposer(ProposerConfig config);

  // Greets every acceptor.
  Ready start();
  // One unit of time: retries, timeouts, heartbeats.
  Ready tick();
  // A message from acceptor `from`. Errors are protocol violations by that acceptor; the driver
  // drops the connection (the proposer forgets that acceptor's session).
  Result<Ready> step(NodeId from, const Message& message);
  // The connection to `acceptor` broke: its session starts again with a greeting.
  Ready disconnected(NodeId acceptor);
  // New WAL from the primary, appended at end_lsn(). Must end on a record boundary; only when
  // elected. Errors: not elected (kFailedPrecondition); more than max_uncommitted_bytes would
  // be uncommitted (kUnavailable: retry once the commit LSN moves).
  Result<Ready> propose(std::span<const std::uint8_t> records);

  ProposerPhase phase() const { return phase_; }
  Term term() const { return term_; }
  NodeId id() const { return config_.proposer_id; }
  // Meaningful once elected.
  const TermHistory& history() const { return history_; }
  // The voter whose log this term continues (the lowest id among voters with the same log;
  // reported only, no decision reads it).
  Lsn term_start_lsn() const { return term_start_lsn_; }
  Lsn end_lsn() const { return end_lsn_; }
  Lsn commit_lsn() const { return commit_lsn_; }
  std::optional<NodeId> donor() const { return donor_; }
  const Configuration& configuration() const { return config_.configuration; }
  // Our log's bytes [from, end_lsn()) while the buffer still holds them (it keeps all above the
  // commit LSN); nullopt otherwise. What a driver replacing a superseded proposer proposes again.
  std::optional<std::vector<std::uint8_t>> wal_from(Lsn from) const;
  // Once superseded: the configuration an acceptor greeted with.
  const std::optional<Configuration>& newer_configuration() const { return newer_configuration_; }
  // The flush LSN `acceptor` acknowledged in this term while streaming; nullopt otherwise.
  std::optional<Lsn> streaming_flush_lsn(NodeId acceptor) const;
  // The commit LSN `acceptor` reported knowing in this term while streaming; nullopt otherwise.
  std::optional<Lsn> streaming_commit_lsn(NodeId acceptor) const;
  // The highest commit LSN a majority of acceptors reported knowing in this term (0/0 before).
  // Reported only: `--sync-safekeepers` waits for it, because a safekeeper serves readers only
  // the WAL it knows is committed, and a replacement primary reads the WAL from them.
  Lsn commit_lsn_known_by_quorum() const;

  // Digests of everything that decides this proposer's future behaviour, for the exhaustive
  // explorer to recognise states already visited (consensus/proposer_digest.cc). The common part
  // and one part per acceptor session, which names no node: the protocol treats acceptors alike,
  // so the explorer may match states that differ only in which acceptor is which.
  // state_digest() combines them with the acceptors' ids.
  std::uint64_t common_digest() const;
  // An acceptor outside its configuration has no session: a constant.
  std::uint64_t session_digest(NodeId acceptor) const;
  std::uint64_t state_digest() const;

 private:
  enum class SessionState : std::uint8_t {
    kOffline,    // Greeting sent (or to be sent); nothing heard yet.
    kGreeted,    // Got AcceptorGreeting.
    kVoted,      // Got a VoteResponse in our term (granted or not).
    kElecting,   // ProposerElected sent, waiting for its acknowledgement.
    kStreaming,  // Acknowledged ProposerElected: its log is a prefix of ours.
  };

  // Per-acceptor view; one per configured acceptor, ordered by node id.
  struct Session {
    SessionState state = SessionState::kOffline;
    std::optional<VoteResponse> vote;
    Lsn start_streaming_at;
    Lsn next_send_lsn;     // Next byte to send (streaming).
    Lsn acked_flush_lsn;   // Durable end acknowledged in our term.
    Lsn acked_commit_lsn;  // The commit LSN it reported knowing in our term (reported only).
    // Voted with the same log as the donor: a source for WAL below the term start.
    bool holds_donor_log = false;
    std::uint32_t ticks_since_heard = 0;
    std::uint32_t ticks_since_sent = 0;
    std::uint32_t ticks_since_progress = 0;
  };

  Result<Ready> handle_acceptor_greeting(NodeId from, const AcceptorGreeting& greeting);
  Result<Ready> handle_vote_response(NodeId from, const VoteResponse& response);
  Result<Ready> handle_append_response(NodeId from, const AppendResponse& response);
  Result<Ready> handle_read_wal_response(NodeId from, const ReadWalResponse& response);

  void begin_campaign(Ready& ready);
  void become_elected(Ready& ready);
  void become_fenced();
  // Records a term an acceptor reported; true when it is above ours (an elected proposer is
  // then fenced), in which case the message needs no further handling.
  bool saw_higher_term(Term reported);
  void send_vote_request(NodeId to, Ready& ready);
  void send_elected(NodeId to, Session& session, Ready& ready);
  // Sends what the session may have in flight; true if anything was sent.
  bool pump(NodeId to, Session& session, Ready& ready);
  // Time-driven part of streaming: go back after silence, heartbeats when idle.
  void tick_streaming(NodeId to, Session& session, Ready& ready);
  void request_missing_wal(Ready& ready);
  // True when `session`'s acceptor is known to hold our log over [.., end).
  bool is_read_source(const Session& session, Lsn end) const;
  void advance_commit_lsn();
  // With announce_commit: an empty AppendRequest carrying the commit LSN to each idle streaming
  // acceptor that has not reported knowing it.
  void announce_commit(Ready& ready);
  void trim_buffer();
  // True when the sessions for which `counts` holds are a quorum of the configuration.
  bool has_quorum(const std::function<bool(const Session&)>& counts) const;
  // False once fenced, given up or superseded.
  bool acts_again() const;
  // Queues `message` for `to`, stamped with this proposer's configuration (a greeting) or its
  // generation (a request).
  void send(Ready& ready, NodeId to, Message message) const;

  ProposerConfig config_;
  Prng jitter_;
  ProposerPhase phase_ = ProposerPhase::kGreeting;
  Term term_;
  Term highest_seen_term_;
  std::map<NodeId, Session> sessions_;
  std::uint32_t ticks_in_phase_ = 0;
  std::uint32_t campaign_timeout_ticks_ = 0;
  std::optional<Configuration> newer_configuration_;

  // Elected state.
  std::optional<NodeId> donor_;
  TermHistory history_;
  Lsn term_start_lsn_;
  Lsn end_lsn_;
  Lsn commit_lsn_;
  // Our log's bytes [buffer_begin_lsn_, end_lsn_): earlier terms' WAL fetched from acceptors of
  // our term, then what propose() appended. Trimmed from the front once no session needs it.
  Lsn buffer_begin_lsn_;
  std::deque<std::uint8_t> buffer_;
  // Record boundaries at or after term_start_lsn_, ascending; the commit LSN is one of them.
  std::deque<Lsn> record_ends_;
  // The outstanding recovery read, if any: the range asked of every source, ticks waiting.
  struct PendingRead {
    Lsn begin_lsn;
    Lsn end_lsn;
    std::uint32_t ticks_waiting = 0;
  };
  std::optional<PendingRead> pending_read_;
  // Sent with appends: below it every acceptor holds our log (min acknowledged, capped at
  // the commit LSN).
  Lsn truncate_lsn_;
};

}  // namespace sk::consensus
