// Proposer's state digests, for the exhaustive explorer's visited set (tests/model/). Each digest
// covers exactly what decides the proposer's future behaviour: fields that the current phase and
// session state will never read again (they are overwritten before any use) are left out, so
// states that differ only in such leftovers count as one. Leaving out a field that is still read
// would make the explorer skip behaviours, so each omission says why it is safe.
#include <algorithm>

#include "consensus/proposer.h"
#include "consensus/state_digest.h"

namespace sk::consensus {
namespace {

void mix_history(StateDigest& digest, const TermHistory& history) {
  digest.mix(history.size());
  for (const TermSwitch& entry : history.entries()) {
    digest.mix(entry.term.value());
    digest.mix(entry.lsn.value());
  }
}

// Counters are compared only in tick(), right after being incremented, so a counter at rest
// matters only as far as "will the next increment reach the threshold".
std::uint32_t saturated(std::uint32_t counter, std::uint32_t threshold) {
  return threshold == 0 ? 0 : std::min(counter, threshold - 1);
}

}  // namespace

bool Proposer::acts_again() const {
  return phase_ != ProposerPhase::kFenced && phase_ != ProposerPhase::kGaveUp &&
         phase_ != ProposerPhase::kSuperseded;
}

std::uint64_t Proposer::common_digest() const {
  StateDigest digest;
  digest.mix(static_cast<std::uint64_t>(phase_));
  digest.mix(term_.value());
  digest.mix(config_.configuration.digest());
  if (newer_configuration_) {
    digest.mix(newer_configuration_->digest());  // What a restart will use.
  }
  if (!acts_again()) {
    return digest.value();  // Nothing else it holds decides the future.
  }
  if (phase_ != ProposerPhase::kElected) {
    digest.mix(highest_seen_term_.value());  // Only a campaign reads it, to pick its term.
  }
  if (phase_ == ProposerPhase::kCampaigning) {
    digest.mix(saturated(ticks_in_phase_, campaign_timeout_ticks_));
    digest.mix(campaign_timeout_ticks_);
  }
  if (config_.election_jitter_ticks > 0) {
    digest.mix(jitter_.state());
  }
  // The elected state; constant (as the constructor left it) before the election. donor_ is
  // left out: it is reported, never read.
  mix_history(digest, history_);
  digest.mix(term_start_lsn_.value());
  digest.mix(end_lsn_.value());
  digest.mix(commit_lsn_.value());
  digest.mix(truncate_lsn_.value());
  digest.mix(buffer_begin_lsn_.value());
  for (std::uint8_t byte : buffer_) {
    digest.mix(byte);
  }
  for (Lsn end : record_ends_) {
    digest.mix(end.value());
  }
  digest.mix(pending_read_.has_value());
  if (pending_read_) {
    digest.mix(pending_read_->begin_lsn.value());
    digest.mix(pending_read_->end_lsn.value());
    digest.mix(saturated(pending_read_->ticks_waiting, 2 * config_.resend_ticks));
  }
  return digest.value();
}

std::uint64_t Proposer::session_digest(NodeId acceptor) const {
  StateDigest digest;
  auto it = sessions_.find(acceptor);
  if (!acts_again() || it == sessions_.end()) {
    return digest.value();  // Nothing to decide: done, or not one of its configuration's.
  }
  const Session& session = it->second;
  const bool elected = phase_ == ProposerPhase::kElected;
  digest.mix(static_cast<std::uint64_t>(session.state));
  digest.mix(saturated(session.ticks_since_heard, config_.peer_timeout_ticks));
  digest.mix(
      saturated(session.ticks_since_sent, std::max(config_.resend_ticks, config_.heartbeat_ticks)));
  // A campaign counts the votes of every session (a disconnected voter's vote still counts);
  // once elected, only ProposerElected (sent and resent while voted or electing) reads one, and
  // the count-earlier-term-acks mutation when it counts acknowledgements.
  const bool vote_read =
      phase_ == ProposerPhase::kCampaigning ||
      (elected &&
       (session.state == SessionState::kVoted || session.state == SessionState::kElecting ||
        is_mutated(config_.mutation, Mutation::kCountEarlierTermAcks)));
  if (vote_read && session.vote) {
    digest.mix(1);
    // The vote's truncate LSN is informational: no decision reads it.
    digest.mix(session.vote->term.value());
    digest.mix(session.vote->vote_given);
    digest.mix(session.vote->flush_lsn.value());
    mix_history(digest, session.vote->history);
  } else {
    digest.mix(0);
  }
  if (elected) {
    digest.mix(session.holds_donor_log);  // Set at the election, read only while elected.
  }
  if (session.state == SessionState::kElecting) {
    digest.mix(session.start_streaming_at.value());  // Keeps the buffer from there.
  }
  if (session.state == SessionState::kStreaming) {
    // Set on entering streaming, from the acknowledgement of ProposerElected.
    digest.mix(session.next_send_lsn.value());
    digest.mix(session.acked_flush_lsn.value());
    digest.mix(saturated(session.ticks_since_progress, config_.resend_ticks));
  }
  return digest.value();
}

std::uint64_t Proposer::state_digest() const {
  StateDigest digest;
  digest.mix(common_digest());
  for (const auto& [id, session] : sessions_) {
    digest.mix(id.value());
    digest.mix(session_digest(id));
  }
  return digest.value();
}

}  // namespace sk::consensus
