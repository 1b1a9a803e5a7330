// Acceptor message handlers. Each handler decides, updates the in-memory mirror of the durable
// state, and returns the effects; the driver makes them durable before any reply leaves.
#include "consensus/acceptor.h"

#include <algorithm>
#include <string>

#include "consensus/overloaded.h"

namespace sk::consensus {
namespace {

Error wrong_timeline(std::string_view what, const std::string& got, const std::string& expected) {
  return Error(ErrorCode::kWrongTimeline,
               std::string(what) + ": got " + got + ", expected " + expected);
}

}  // namespace

Acceptor::Acceptor(NodeId node_id, AcceptorState persisted, Lsn flush_lsn, Mutation mutation)
    : node_id_(node_id), mutation_(mutation), state_(std::move(persisted)), flush_lsn_(flush_lsn) {
  SK_CHECK(state_.history.is_well_formed());
}

Result<Ready> Acceptor::step(NodeId from, const Message& message) {
  return std::visit(
      Overloaded{
          [&](const ProposerGreeting& m) { return handle_greeting(from, m); },
          [&](const VoteRequest& m) -> Result<Ready> {
            if (Status same = check_generation(m.generation, "VoteRequest"); !same) {
              return same.error();
            }
            return handle_vote_request(from, m);
          },
          [&](const ProposerElected& m) -> Result<Ready> {
            if (Status same = check_generation(m.generation, "ProposerElected"); !same) {
              return same.error();
            }
            return handle_elected(from, m);
          },
          [&](const AppendRequest& m) -> Result<Ready> {
            if (Status same = check_generation(m.generation, "AppendRequest"); !same) {
              return same.error();
            }
            return handle_append_request(from, m);
          },
          [&](const ReadWalRequest& m) -> Result<Ready> { return handle_read_wal(from, m); },
          [&](const auto& m) -> Result<Ready> {
            return Error(ErrorCode::kMalformedMessage, "acceptor got " +
                                                           std::string(message_name(Message(m))) +
                                                           ", expected a proposer message");
          },
      },
      message);
}

Result<Ready> Acceptor::set_configuration(const Configuration& configuration) {
  if (Status valid = validate(configuration); !valid) {
    return valid.error();
  }
  const Configuration& current = state_.configuration;
  if (configuration.generation < current.generation ||
      (configuration.generation == current.generation && configuration != current)) {
    const bool only_addresses = configuration.generation == current.generation &&
                                configuration.members == current.members &&
                                configuration.new_members == current.new_members;
    return Error(ErrorCode::kFailedPrecondition,
                 "configuration " + configuration.describe() + " does not follow " +
                     current.describe() +
                     (only_addresses ? ": the same sets with other addresses"
                                     : ": generations only grow, and one names one set"));
  }
  Ready ready;
  if (configuration != current) {
    state_.configuration = configuration;
    ready.persist = state_;
  }
  return ready;
}

Status Acceptor::check_generation(Generation generation, std::string_view what) const {
  if (generation == state_.configuration.generation) {
    return {};
  }
  return Error(ErrorCode::kFailedPrecondition,
               std::string(what) + " of configuration generation " +
                   std::to_string(generation.value()) + ", but acceptor " +
                   std::to_string(node_id_.value()) + " is at " + state_.configuration.describe());
}

Result<Ready> Acceptor::handle_greeting(NodeId from, const ProposerGreeting& greeting) {
  const TimelineIdentity& ours = state_.identity;
  const TimelineIdentity& theirs = greeting.identity;
  if (theirs.tenant_id != ours.tenant_id) {
    return wrong_timeline("tenant id", theirs.tenant_id.to_hex(), ours.tenant_id.to_hex());
  }
  if (theirs.timeline_id != ours.timeline_id) {
    return wrong_timeline("timeline id", theirs.timeline_id.to_hex(), ours.timeline_id.to_hex());
  }
  // System id 0 means "not known yet" (a proposer syncing without a running PostgreSQL).
  if (theirs.system_id != 0 && theirs.system_id != ours.system_id) {
    return wrong_timeline("system id", std::to_string(theirs.system_id),
                          std::to_string(ours.system_id));
  }
  if (theirs.pg_version / 10000 != ours.pg_version / 10000) {
    return wrong_timeline("PostgreSQL major version", std::to_string(theirs.pg_version / 10000),
                          std::to_string(ours.pg_version / 10000));
  }
  if (theirs.wal_seg_size_bytes != ours.wal_seg_size_bytes) {
    return wrong_timeline("WAL segment size", std::to_string(theirs.wal_seg_size_bytes),
                          std::to_string(ours.wal_seg_size_bytes));
  }
  Ready ready;
  const Configuration& offered = greeting.configuration;
  // One generation names one set: a proposer of another set under ours was configured apart
  // from the change that made ours (a node started with a different --peers), and quorums of
  // the two need not meet.
  if (!state_.configuration.none() && offered.generation == state_.configuration.generation &&
      (offered.members != state_.configuration.members ||
       offered.new_members != state_.configuration.new_members)) {
    return Error(ErrorCode::kFailedPrecondition,
                 "a proposer of configuration " + offered.describe() + ", but acceptor " +
                     std::to_string(node_id_.value()) + " is at " +
                     state_.configuration.describe() + " under the same generation");
  }
  // A proposer of a higher generation that counts this acceptor brings the configuration to an
  // acceptor that missed the switch (a new member, one that was down).
  if (offered.generation > state_.configuration.generation && offered.contains(node_id_)) {
    if (Status valid = validate(offered); !valid) {
      return Error(ErrorCode::kMalformedMessage,
                   "ProposerGreeting configuration: " + valid.error().message());
    }
    state_.configuration = offered;
    ready.persist = state_;
  }
  ready.messages.push_back({from, AcceptorGreeting{node_id_, state_.term, state_.configuration}});
  return ready;
}

Ready Acceptor::handle_vote_request(NodeId from, const VoteRequest& request) {
  Ready ready;
  const bool grant = state_.term < request.term;
  if (grant) {
    state_.term = request.term;
    ready.persist = state_;
  }
  // Always flush before answering, so the reported flush LSN is final: nothing older than this
  // vote can later appear in our log.
  ready.must_sync = true;
  ready.messages.push_back({from, VoteResponse{state_.term, grant, flush_lsn_, state_.truncate_lsn,
                                               history_up_to_flush()}});
  return ready;
}

Result<Ready> Acceptor::handle_elected(NodeId from, const ProposerElected& elected) {
  if (!elected.history.is_well_formed() || elected.history.last_term() != elected.term) {
    return Error(ErrorCode::kMalformedMessage,
                 "ProposerElected history " + elected.history.to_string() +
                     " must be ordered and end with term " + std::to_string(elected.term.value()));
  }
  if (elected.term < state_.term) {
    return reply(from, append_response(AppendStatus::kStaleTerm));
  }
  // Recompute the start point ourselves: the proposer computed it from our vote, and a stale
  // ProposerElected racing newer traffic must not truncate WAL written since. Every check comes
  // before any change, so a refusal or an error leaves the state as it was.
  std::optional<Lsn> common =
      find_highest_common_point(elected.history, state_.history, flush_lsn_);
  if (!common || *common != elected.start_streaming_at) {
    return reply(from, append_response(AppendStatus::kElectedMismatch));
  }
  if (elected.start_streaming_at < state_.commit_lsn) {
    return Error(ErrorCode::kFailedPrecondition,
                 "ProposerElected would truncate committed WAL: start " +
                     elected.start_streaming_at.to_string() + ", commit LSN " +
                     state_.commit_lsn.to_string());
  }
  Ready ready;
  if (elected.start_streaming_at < flush_lsn_ &&
      !is_mutated(mutation_, Mutation::kSkipDivergentTruncation)) {
    ready.truncate_wal_at = elected.start_streaming_at;
    flush_lsn_ = elected.start_streaming_at;
  }
  // A higher term than our promise is only possible if our vote was lost in a crash that kept
  // the proposer's view; adopting it is what the vote would have done.
  state_.term = elected.term;
  state_.history = elected.history;
  ready.persist = state_;
  ready.must_sync = true;
  ready.messages.push_back({from, append_response(AppendStatus::kAccepted)});
  return ready;
}

Result<Ready> Acceptor::handle_append_request(NodeId from, const AppendRequest& request) {
  if (request.end_lsn < request.begin_lsn ||
      request.wal.size() != request.end_lsn.bytes_since(request.begin_lsn)) {
    return Error(ErrorCode::kMalformedMessage, "AppendRequest [" + request.begin_lsn.to_string() +
                                                   ", " + request.end_lsn.to_string() +
                                                   ") carries " +
                                                   std::to_string(request.wal.size()) + " bytes");
  }
  const bool lower_term_accepted =
      is_mutated(mutation_, Mutation::kAcceptLowerTermAppend) && request.term < state_.term;
  if (request.term < state_.term && !lower_term_accepted) {
    return reply(from, append_response(AppendStatus::kStaleTerm));
  }
  // A higher term, or our own term before its ProposerElected reached us: the proposer must
  // (re)send ProposerElected first.
  if (request.term > state_.term || state_.history.last_term() != state_.term) {
    return reply(from, append_response(AppendStatus::kNotElected));
  }
  if (request.begin_lsn != flush_lsn_) {
    // Overlap after a reconnect, or a gap after a loss: transient, resend from our flush LSN.
    return reply(from, append_response(AppendStatus::kOutOfOrder));
  }
  Ready ready;
  if (request.end_lsn > request.begin_lsn) {
    ready.wal_write = WalWrite{request.begin_lsn, request.wal};
    ready.must_sync = !is_mutated(mutation_, Mutation::kAckBeforeSync);
    flush_lsn_ = request.end_lsn;
  }
  // Adopt the proposer's commit LSN only once we hold all of it: then it is a record boundary
  // of our own log, never a point inside a record we hold half of.
  bool changed = false;
  if (request.commit_lsn <= flush_lsn_ && request.commit_lsn > state_.commit_lsn) {
    state_.commit_lsn = request.commit_lsn;
    changed = true;
  }
  Lsn horizon = std::min(request.truncate_lsn, state_.commit_lsn);
  if (horizon > state_.truncate_lsn) {
    state_.truncate_lsn = horizon;
    changed = true;
  }
  if (changed) {
    ready.persist = state_;
  }
  ready.messages.push_back({from, append_response(AppendStatus::kAccepted)});
  return ready;
}

Ready Acceptor::handle_read_wal(NodeId from, const ReadWalRequest& request) const {
  // Serve only WAL that is durable and that the requesting term's proposer vouches for: we
  // must still be in its term, so nobody has truncated our log since it was elected.
  const bool servable = request.term == state_.term && request.begin_lsn <= request.end_lsn &&
                        request.begin_lsn >= state_.identity.timeline_start_lsn &&
                        request.end_lsn <= flush_lsn_;
  if (!servable) {
    return reply(from, ReadWalResponse{state_.term, request.begin_lsn, request.begin_lsn, {}});
  }
  Ready ready;
  ready.messages.push_back(
      {from, ReadWalResponse{state_.term, request.begin_lsn, request.end_lsn, {}}, true});
  return ready;
}

AppendResponse Acceptor::append_response(AppendStatus status) const {
  return AppendResponse{state_.term, status, flush_lsn_, state_.commit_lsn};
}

Ready Acceptor::reply(NodeId to, Message message) {
  Ready ready;
  ready.messages.push_back({to, std::move(message)});
  return ready;
}

}  // namespace sk::consensus
