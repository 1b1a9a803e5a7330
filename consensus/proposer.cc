// Proposer: greeting, campaign, election (donor choice, per-acceptor start points), streaming,
// recovery reads and the commit rule. See proposer.h for the life cycle.
#include "consensus/proposer.h"

#include <algorithm>
#include <string>

#include "consensus/overloaded.h"

namespace sk::consensus {
namespace {}  // namespace

std::string_view proposer_phase_name(ProposerPhase phase) {
  switch (phase) {
    case ProposerPhase::kGreeting:
      return "greeting";
    case ProposerPhase::kCampaigning:
      return "campaigning";
    case ProposerPhase::kElected:
      return "elected";
    case ProposerPhase::kFenced:
      return "fenced";
    case ProposerPhase::kGaveUp:
      return "gave-up";
    case ProposerPhase::kSuperseded:
      return "superseded";
  }
  return "unknown";
}

Proposer::Proposer(ProposerConfig config)
    : config_(std::move(config)), jitter_(config_.jitter_seed) {
  SK_CHECK(validate(config_.configuration).has_value());
  SK_CHECK(config_.max_append_bytes > 0);
  for (NodeId acceptor : config_.configuration.acceptors()) {
    sessions_.emplace(acceptor, Session{});
  }
}

Ready Proposer::start() {
  Ready ready;
  for (auto& [id, session] : sessions_) {
    send(ready, id, ProposerGreeting{config_.proposer_id, config_.identity});
    session.ticks_since_sent = 0;
  }
  return ready;
}

Ready Proposer::tick() {
  Ready ready;
  if (!acts_again()) {
    return ready;
  }
  ++ticks_in_phase_;
  for (auto& [id, session] : sessions_) {
    ++session.ticks_since_heard;
    ++session.ticks_since_sent;
    ++session.ticks_since_progress;
    if (session.state != SessionState::kOffline && config_.peer_timeout_ticks > 0 &&
        session.ticks_since_heard >= config_.peer_timeout_ticks) {
      ready.reconnect.push_back(id);
      for (Outbound& out : disconnected(id).messages) {
        ready.messages.push_back(std::move(out));
      }
      continue;
    }
    const bool resend_due = session.ticks_since_sent >= config_.resend_ticks;
    switch (session.state) {
      case SessionState::kOffline:
        if (resend_due) {
          send(ready, id, ProposerGreeting{config_.proposer_id, config_.identity});
          session.ticks_since_sent = 0;
        }
        break;
      case SessionState::kGreeted:
        if (resend_due && phase_ != ProposerPhase::kGreeting) {
          send_vote_request(id, ready);
        }
        break;
      case SessionState::kVoted:
        break;
      case SessionState::kElecting:
        if (resend_due) {
          send_elected(id, session, ready);
        }
        break;
      case SessionState::kStreaming:
        tick_streaming(id, session, ready);
        break;
    }
  }
  if (phase_ == ProposerPhase::kCampaigning && ticks_in_phase_ >= campaign_timeout_ticks_) {
    begin_campaign(ready);
  }
  if (phase_ == ProposerPhase::kElected) {
    request_missing_wal(ready);
  }
  return ready;
}

Ready Proposer::disconnected(NodeId acceptor) {
  Ready ready;
  auto it = sessions_.find(acceptor);
  if (it == sessions_.end() || !acts_again()) {
    return ready;
  }
  Session& session = it->second;
  // A vote given in a campaign still counts (the acceptor made it durable); everything else
  // about the session is re-learnt from a fresh greeting.
  session.state = SessionState::kOffline;
  session.ticks_since_heard = 0;
  session.ticks_since_sent = 0;
  send(ready, acceptor, ProposerGreeting{config_.proposer_id, config_.identity});
  trim_buffer();
  return ready;
}

Result<Ready> Proposer::step(NodeId from, const Message& message) {
  if (!sessions_.contains(from)) {
    return Error(ErrorCode::kInvalidArgument,
                 "message from node " + std::to_string(from.value()) +
                     ", which is not one of this proposer's acceptors");
  }
  if (!acts_again()) {
    return Ready{};
  }
  sessions_.at(from).ticks_since_heard = 0;
  return std::visit(
      Overloaded{
          [&](const AcceptorGreeting& m) { return handle_acceptor_greeting(from, m); },
          [&](const VoteResponse& m) { return handle_vote_response(from, m); },
          [&](const AppendResponse& m) { return handle_append_response(from, m); },
          [&](const ReadWalResponse& m) { return handle_read_wal_response(from, m); },
          [&](const auto& m) -> Result<Ready> {
            return Error(ErrorCode::kMalformedMessage, "proposer got " +
                                                           std::string(message_name(Message(m))) +
                                                           ", expected an acceptor message");
          },
      },
      message);
}

Result<Ready> Proposer::propose(std::span<const std::uint8_t> records) {
  if (phase_ != ProposerPhase::kElected) {
    return Error(ErrorCode::kFailedPrecondition, "cannot append WAL: proposer is " +
                                                     std::string(proposer_phase_name(phase_)) +
                                                     ", expected elected");
  }
  Ready ready;
  if (records.empty()) {
    return ready;
  }
  const Lsn committed = std::max(commit_lsn_, term_start_lsn_);
  const std::uint64_t uncommitted = end_lsn_.bytes_since(committed) + records.size();
  if (uncommitted > config_.max_uncommitted_bytes) {
    return Error(ErrorCode::kUnavailable, "cannot append WAL: " + std::to_string(uncommitted) +
                                              " bytes would be uncommitted, the limit is " +
                                              std::to_string(config_.max_uncommitted_bytes) +
                                              " (no quorum acknowledging?)");
  }
  buffer_.insert(buffer_.end(), records.begin(), records.end());
  end_lsn_ = end_lsn_.plus_bytes(records.size());
  record_ends_.push_back(end_lsn_);
  for (auto& [id, session] : sessions_) {
    pump(id, session, ready);
  }
  return ready;
}

Result<Ready> Proposer::handle_acceptor_greeting(NodeId from, const AcceptorGreeting& greeting) {
  Ready ready;
  Session& session = sessions_.at(from);
  highest_seen_term_ = std::max(highest_seen_term_, greeting.term);
  if (greeting.configuration.generation > config_.configuration.generation) {
    // Our acceptors moved on: nothing of ours may count any more. The driver starts a proposer
    // of the newer configuration (a new term), which takes over where this one stopped.
    newer_configuration_ = greeting.configuration;
    phase_ = ProposerPhase::kSuperseded;
    return ready;
  }
  if (session.state != SessionState::kOffline) {
    return ready;  // A duplicate.
  }
  session.state = SessionState::kGreeted;
  switch (phase_) {
    case ProposerPhase::kGreeting: {
      if (has_quorum([](const Session& s) { return s.state != SessionState::kOffline; })) {
        begin_campaign(ready);
      }
      break;
    }
    case ProposerPhase::kCampaigning:
      send_vote_request(from, ready);
      break;
    case ProposerPhase::kElected:
      if (greeting.term > term_) {
        become_fenced();
        break;
      }
      // A late or reconnected acceptor: move it to our term and learn its log position.
      send_vote_request(from, ready);
      break;
    case ProposerPhase::kFenced:
    case ProposerPhase::kGaveUp:
    case ProposerPhase::kSuperseded:
      break;
  }
  return ready;
}

Result<Ready> Proposer::handle_vote_response(NodeId from, const VoteResponse& response) {
  Ready ready;
  Session& session = sessions_.at(from);
  if (saw_higher_term(response.term)) {
    return ready;  // Fenced, or a campaign that cannot win: its timeout starts a higher one.
  }
  if (response.term < term_ || session.state != SessionState::kGreeted) {
    return ready;  // Stale, or a duplicate.
  }
  if (phase_ == ProposerPhase::kCampaigning) {
    if (!response.vote_given) {
      return ready;  // Someone else got this acceptor's vote for our term.
    }
    session.vote = response;
    session.state = SessionState::kVoted;
    if (has_quorum([&](const Session& s) {
          return s.vote && s.vote->term == term_ && s.vote->vote_given;
        })) {
      become_elected(ready);
    }
  } else if (phase_ == ProposerPhase::kElected) {
    // Granted or not, the acceptor is now in our term and can no longer change its log except
    // at our request: its reported position is final.
    session.vote = response;
    session.state = SessionState::kVoted;
    send_elected(from, session, ready);
  }
  return ready;
}

Result<Ready> Proposer::handle_append_response(NodeId from, const AppendResponse& response) {
  Ready ready;
  Session& session = sessions_.at(from);
  if (saw_higher_term(response.term) || phase_ != ProposerPhase::kElected ||
      response.term < term_) {
    return ready;
  }
  switch (response.status) {
    case AppendStatus::kStaleTerm:
    case AppendStatus::kNotElected:
      // Appends overtook our ProposerElected; its resend timer covers it.
      return ready;
    case AppendStatus::kElectedMismatch:
      if (session.state == SessionState::kElecting) {
        // Our picture of this acceptor is stale: ask again for its position.
        session.state = SessionState::kGreeted;
        session.vote.reset();
        send_vote_request(from, ready);
      }
      return ready;
    case AppendStatus::kAccepted:
    case AppendStatus::kOutOfOrder:
      break;
  }
  // Both statuses mean the acceptor holds our history and its log equals ours up to flush_lsn.
  if (session.state == SessionState::kElecting) {
    session.state = SessionState::kStreaming;
    session.acked_flush_lsn = response.flush_lsn;
    session.acked_commit_lsn = response.commit_lsn;
    session.next_send_lsn = response.flush_lsn;
    session.ticks_since_progress = 0;
  } else if (session.state == SessionState::kStreaming) {
    session.acked_commit_lsn = std::max(session.acked_commit_lsn, response.commit_lsn);
    if (response.flush_lsn > session.acked_flush_lsn) {
      session.acked_flush_lsn = response.flush_lsn;
      session.ticks_since_progress = 0;
    }
    // Out of order: the acceptor already holds more than we meant to send next (a resent window
    // overtaken by the original), so skip ahead. A reply below our cursor (a gap after a lost
    // append, or the echo of a resent window) does not rewind it: every stale reply would send
    // the whole window again, and under a slow disk those resends feed on themselves. The
    // resend timer (tick_streaming) goes back once no progress comes.
    if (response.status == AppendStatus::kOutOfOrder) {
      session.next_send_lsn = std::max(session.next_send_lsn, response.flush_lsn);
    }
  } else {
    return ready;  // From before a reconnect; the new session will catch up.
  }
  const Lsn commit_before = commit_lsn_;
  advance_commit_lsn();
  trim_buffer();
  pump(from, session, ready);
  if (config_.announce_commit && commit_lsn_ > commit_before) {
    announce_commit(ready);
  }
  return ready;
}

Result<Ready> Proposer::handle_read_wal_response(NodeId from, const ReadWalResponse& response) {
  Ready ready;
  if (saw_higher_term(response.term) || phase_ != ProposerPhase::kElected || !pending_read_ ||
      response.term != term_ || response.begin_lsn != pending_read_->begin_lsn ||
      response.end_lsn != pending_read_->end_lsn ||
      response.wal.size() != response.end_lsn.bytes_since(response.begin_lsn) ||
      !is_read_source(sessions_.at(from), response.end_lsn)) {
    return ready;  // Stale, or short: another source or the retry answers.
  }
  pending_read_.reset();
  if (response.end_lsn != buffer_begin_lsn_) {
    request_missing_wal(ready);  // The buffer moved meanwhile: ask for what is missing now.
    return ready;
  }
  buffer_.insert(buffer_.begin(), response.wal.begin(), response.wal.end());
  buffer_begin_lsn_ = response.begin_lsn;
  for (auto& [id, session] : sessions_) {
    pump(id, session, ready);
  }
  request_missing_wal(ready);
  return ready;
}

void Proposer::begin_campaign(Ready& ready) {
  if (!has_quorum([](const Session& s) { return s.state != SessionState::kOffline; })) {
    phase_ = ProposerPhase::kGreeting;
    ticks_in_phase_ = 0;
    return;
  }
  const Term next(std::max(highest_seen_term_, term_).value() + 1);
  if (config_.max_term.value() != 0 && next > config_.max_term) {
    phase_ = ProposerPhase::kGaveUp;
    return;
  }
  term_ = next;
  highest_seen_term_ = next;
  phase_ = ProposerPhase::kCampaigning;
  ticks_in_phase_ = 0;
  campaign_timeout_ticks_ =
      config_.election_timeout_ticks +
      static_cast<std::uint32_t>(jitter_.below(config_.election_jitter_ticks + 1));
  for (auto& [id, session] : sessions_) {
    session.vote.reset();
    if (session.state != SessionState::kOffline) {
      session.state = SessionState::kGreeted;
      send_vote_request(id, ready);
    }
  }
}

void Proposer::become_elected(Ready& ready) {
  // Donor: the most advanced log among the voters, by (last log term, flush LSN). Voters that tie
  // hold the same log (log matching), so which one is named does not matter; the choice compares
  // whole histories, never node ids, so that the protocol treats acceptors alike (the explorer's
  // symmetry reduction relies on it).
  const bool flush_only = is_mutated(config_.mutation, Mutation::kDonorByFlushOnly);
  // Votes carry the history up to the voter's flush LSN.
  auto history_less = [](const TermHistory& a, const TermHistory& b) {
    return std::lexicographical_compare(
        a.entries().begin(), a.entries().end(), b.entries().begin(), b.entries().end(),
        [](const TermSwitch& x, const TermSwitch& y) {
          return std::pair(x.term, x.lsn) < std::pair(y.term, y.lsn);
        });
  };
  auto more_advanced = [&](const VoteResponse& a, const VoteResponse& b) {
    if (flush_only) {
      // The mutation ignores the last log term; on a flush tie it takes the older log.
      return a.flush_lsn != b.flush_lsn ? a.flush_lsn > b.flush_lsn
                                        : history_less(a.history, b.history);
    }
    if (a.history.last_term() != b.history.last_term()) {
      return a.history.last_term() > b.history.last_term();
    }
    return a.flush_lsn != b.flush_lsn ? a.flush_lsn > b.flush_lsn
                                      : history_less(b.history, a.history);
  };
  const Session* donor = nullptr;
  for (auto& [id, session] : sessions_) {
    if (session.vote && session.vote->vote_given &&
        (donor == nullptr || more_advanced(*session.vote, *donor->vote))) {
      donor = &session;
      donor_ = id;
    }
  }
  SK_CHECK(donor != nullptr);
  for (auto& [id, session] : sessions_) {
    session.holds_donor_log = session.vote && session.vote->vote_given &&
                              !more_advanced(*donor->vote, *session.vote) &&
                              !more_advanced(*session.vote, *donor->vote);
  }
  phase_ = ProposerPhase::kElected;
  ticks_in_phase_ = 0;
  term_start_lsn_ = donor->vote->flush_lsn;
  history_ = donor->vote->history.up_to(term_start_lsn_);
  history_.append({term_, term_start_lsn_});
  end_lsn_ = term_start_lsn_;
  buffer_begin_lsn_ = term_start_lsn_;
  buffer_.clear();
  record_ends_.assign({term_start_lsn_});
  commit_lsn_ = Lsn(0);
  truncate_lsn_ = Lsn(0);
  for (auto& [id, session] : sessions_) {
    if (session.state == SessionState::kVoted) {
      send_elected(id, session, ready);
    } else if (session.state == SessionState::kGreeted) {
      send_vote_request(id, ready);
    }
  }
}

void Proposer::become_fenced() {
  phase_ = ProposerPhase::kFenced;
}

bool Proposer::saw_higher_term(Term reported) {
  highest_seen_term_ = std::max(highest_seen_term_, reported);
  if (reported <= term_) {
    return false;
  }
  if (phase_ == ProposerPhase::kElected) {
    become_fenced();  // Someone won a higher term: our primary must not commit any more.
  }
  return true;
}

void Proposer::send_vote_request(NodeId to, Ready& ready) {
  send(ready, to, VoteRequest{term_});
  sessions_.at(to).ticks_since_sent = 0;
}

void Proposer::send_elected(NodeId to, Session& session, Ready& ready) {
  SK_CHECK(session.vote.has_value());
  std::optional<Lsn> common =
      find_highest_common_point(history_, session.vote->history, session.vote->flush_lsn);
  if (!common) {
    // No shared first term: this acceptor's log is not of our timeline. Leave it out; a
    // majority without it is still needed to commit.
    session.state = SessionState::kVoted;
    return;
  }
  session.state = SessionState::kElecting;
  session.start_streaming_at = *common;
  session.next_send_lsn = *common;
  session.acked_flush_lsn = Lsn(0);
  session.acked_commit_lsn = Lsn(0);
  session.ticks_since_sent = 0;
  send(ready, to, ProposerElected{term_, *common, history_});
}

bool Proposer::pump(NodeId to, Session& session, Ready& ready) {
  if (phase_ != ProposerPhase::kElected || session.state != SessionState::kStreaming) {
    return false;
  }
  bool sent = false;
  while (session.next_send_lsn < end_lsn_ && session.next_send_lsn >= buffer_begin_lsn_) {
    const std::uint64_t inflight = session.next_send_lsn > session.acked_flush_lsn
                                       ? session.next_send_lsn.bytes_since(session.acked_flush_lsn)
                                       : 0;
    if (inflight >= config_.max_inflight_bytes) {
      break;
    }
    const std::uint64_t size =
        std::min({end_lsn_.bytes_since(session.next_send_lsn), config_.max_append_bytes,
                  config_.max_inflight_bytes - inflight});
    const auto offset =
        static_cast<std::ptrdiff_t>(session.next_send_lsn.bytes_since(buffer_begin_lsn_));
    AppendRequest request{
        term_,       session.next_send_lsn, session.next_send_lsn.plus_bytes(size),
        commit_lsn_, truncate_lsn_,         {}};
    request.wal.assign(buffer_.begin() + offset,
                       buffer_.begin() + offset + static_cast<std::ptrdiff_t>(size));
    session.next_send_lsn = request.end_lsn;
    send(ready, to, std::move(request));
    sent = true;
  }
  if (sent) {
    session.ticks_since_sent = 0;
  }
  return sent;
}

void Proposer::tick_streaming(NodeId to, Session& session, Ready& ready) {
  if (session.next_send_lsn > session.acked_flush_lsn &&
      session.ticks_since_progress >= config_.resend_ticks) {
    // Nothing acknowledged for a while: something was lost; go back and resend.
    session.next_send_lsn = session.acked_flush_lsn;
    session.ticks_since_progress = 0;
  }
  if (!pump(to, session, ready) && session.ticks_since_sent >= config_.heartbeat_ticks &&
      session.next_send_lsn == session.acked_flush_lsn) {
    send(ready, to,
         AppendRequest{
             term_, session.next_send_lsn, session.next_send_lsn, commit_lsn_, truncate_lsn_, {}});
    session.ticks_since_sent = 0;
  }
}

void Proposer::request_missing_wal(Ready& ready) {
  if (pending_read_) {
    if (++pending_read_->ticks_waiting < 2 * config_.resend_ticks) {
      return;
    }
    pending_read_.reset();  // No source answered in time: ask again.
  }
  // The lowest position some session must be sent from but our buffer no longer (or never) had.
  std::optional<Lsn> needed;
  for (const auto& [id, session] : sessions_) {
    if ((session.state == SessionState::kStreaming) && session.next_send_lsn < buffer_begin_lsn_) {
      needed = needed ? std::min(*needed, session.next_send_lsn) : session.next_send_lsn;
    }
  }
  if (!needed) {
    return;
  }
  const Lsn end = buffer_begin_lsn_;
  const Lsn begin = end.bytes_since(*needed) > config_.max_append_bytes
                        ? Lsn(end.value() - config_.max_append_bytes)
                        : *needed;
  // Ask every acceptor whose log equals ours over [begin, end) at once: no node is preferred
  // (see become_elected), and the first complete answer wins, so a dead source costs nothing.
  bool asked = false;
  for (const auto& [id, session] : sessions_) {
    if (is_read_source(session, end)) {
      send(ready, id, ReadWalRequest{term_, begin, end});
      asked = true;
    }
  }
  if (asked) {
    pending_read_ = PendingRead{begin, end, 0};
  }
}

bool Proposer::is_read_source(const Session& session, Lsn end) const {
  // A voter tied with the donor holds the donor's log, which is ours below the term start; an
  // acceptor that acknowledged `end` in our term holds ours up to there.
  return (session.holds_donor_log && end <= term_start_lsn_) ||
         (session.state == SessionState::kStreaming && session.acked_flush_lsn >= end &&
          session.acked_flush_lsn >= term_start_lsn_);
}

void Proposer::advance_commit_lsn() {
  const bool count_earlier = is_mutated(config_.mutation, Mutation::kCountEarlierTermAcks);
  std::map<NodeId, Lsn> flushes;
  Lsn lowest = kMaxLsn;
  for (const auto& [id, session] : sessions_) {
    Lsn flush = session.state == SessionState::kStreaming ? session.acked_flush_lsn : Lsn(0);
    lowest = std::min(lowest, flush);
    if (count_earlier) {
      if (session.vote && session.vote->vote_given) {
        flush = std::max(flush, session.vote->flush_lsn);
      }
    } else if (flush < term_start_lsn_) {
      // Only acknowledgements that reach into our own term prove the acceptor holds our log's
      // earlier part in a form no later leader can overrule.
      flush = Lsn(0);
    }
    flushes.emplace(id, flush);
  }
  const Lsn quorum_flush = config_.configuration.quorum_position(flushes);
  Lsn boundary = Lsn(0);
  for (Lsn end : record_ends_) {
    if (end > quorum_flush) {
      break;
    }
    boundary = end;
  }
  if (count_earlier && quorum_flush < term_start_lsn_) {
    boundary = quorum_flush;
  }
  if (boundary > commit_lsn_) {
    commit_lsn_ = boundary;
  }
  truncate_lsn_ = std::max(truncate_lsn_, std::min(lowest, commit_lsn_));
  while (record_ends_.size() > 1 && record_ends_[1] <= commit_lsn_) {
    record_ends_.pop_front();
  }
}

void Proposer::announce_commit(Ready& ready) {
  for (auto& [id, session] : sessions_) {
    if (session.state == SessionState::kStreaming && session.next_send_lsn == end_lsn_ &&
        session.acked_commit_lsn < commit_lsn_) {
      send(ready, id, AppendRequest{term_, end_lsn_, end_lsn_, commit_lsn_, truncate_lsn_, {}});
      session.ticks_since_sent = 0;
    }
  }
}

void Proposer::trim_buffer() {
  Lsn keep_from = end_lsn_;
  for (const auto& [id, session] : sessions_) {
    if (session.state == SessionState::kStreaming) {
      keep_from = std::min(keep_from, session.acked_flush_lsn);
    } else if (session.state == SessionState::kElecting) {
      keep_from = std::min(keep_from, session.start_streaming_at);
    }
  }
  // WAL above the commit LSN may be on a minority only; keep it even when no session is
  // streaming (all disconnected), or nobody could send it again.
  keep_from = std::min(keep_from, std::max(commit_lsn_, buffer_begin_lsn_));
  if (keep_from > buffer_begin_lsn_) {
    buffer_.erase(buffer_.begin(), buffer_.begin() + static_cast<std::ptrdiff_t>(
                                                         keep_from.bytes_since(buffer_begin_lsn_)));
    buffer_begin_lsn_ = keep_from;
  }
}

std::optional<std::vector<std::uint8_t>> Proposer::wal_from(Lsn from) const {
  if (from < buffer_begin_lsn_ || from > end_lsn_) {
    return std::nullopt;
  }
  return std::vector<std::uint8_t>(
      buffer_.begin() + static_cast<std::ptrdiff_t>(from.bytes_since(buffer_begin_lsn_)),
      buffer_.end());
}

Lsn Proposer::commit_lsn_known_by_quorum() const {
  std::map<NodeId, Lsn> known;
  for (const auto& [id, session] : sessions_) {
    known.emplace(id,
                  session.state == SessionState::kStreaming ? session.acked_commit_lsn : Lsn(0));
  }
  return config_.configuration.quorum_position(known);
}

std::optional<Lsn> Proposer::streaming_flush_lsn(NodeId acceptor) const {
  auto it = sessions_.find(acceptor);
  if (it == sessions_.end() || it->second.state != SessionState::kStreaming) {
    return std::nullopt;
  }
  return it->second.acked_flush_lsn;
}

std::optional<Lsn> Proposer::streaming_commit_lsn(NodeId acceptor) const {
  auto it = sessions_.find(acceptor);
  if (it == sessions_.end() || it->second.state != SessionState::kStreaming) {
    return std::nullopt;
  }
  return it->second.acked_commit_lsn;
}

bool Proposer::has_quorum(const std::function<bool(const Session&)>& counts) const {
  return config_.configuration.is_quorum(
      [&](NodeId acceptor) { return counts(sessions_.at(acceptor)); });
}

void Proposer::send(Ready& ready, NodeId to, Message message) const {
  // Every request says which configuration it is of; acceptors of another refuse it.
  const Generation generation = config_.configuration.generation;
  std::visit(Overloaded{
                 [&](ProposerGreeting& m) { m.configuration = config_.configuration; },
                 [&](VoteRequest& m) { m.generation = generation; },
                 [&](ProposerElected& m) { m.generation = generation; },
                 [&](AppendRequest& m) { m.generation = generation; },
                 [](auto&) {},
             },
             message);
  ready.messages.push_back({to, std::move(message), false});
}

}  // namespace sk::consensus
