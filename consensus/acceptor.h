// Acceptor: the safekeeper's side of the protocol for one timeline, as a pure state machine.
// Messages in, a Ready of effects out (see ready.h for the order the driver must keep). It owns
// no storage handle: it is built from the state last persisted plus the flush LSN the driver
// recovered from the WAL on disk, and it is rebuilt the same way after a crash.
//
// Promises (each has a named unit test and is checked by the simulation):
//  * a vote is given at most once per term, and the new term is durable before the vote leaves;
//  * WAL is flushed before a vote answer reports the flush LSN;
//  * nothing from a term below the promise is accepted;
//  * appends are strictly sequential and acknowledged only after fdatasync;
//  * the diverging tail is truncated before the elected proposer's history is adopted, and never
//    below the commit LSN;
//  * the commit LSN never moves backwards and never passes the flush LSN;
//  * votes and WAL are taken only from proposers of this acceptor's configuration generation,
//    which only grows (a higher one is adopted from an operator or a proposer that counts us).
#pragma once

#include "consensus/acceptor_state.h"
#include "consensus/messages.h"
#include "consensus/mutation.h"
#include "consensus/ready.h"
#include "consensus/result.h"

namespace sk::consensus {

class Acceptor {
 public:
  // `flush_lsn` is the durable end of this timeline's WAL as found on disk; it must be at or
  // after the persisted commit LSN (the driver reports Corruption otherwise).
  Acceptor(NodeId node_id, AcceptorState persisted, Lsn flush_lsn,
           Mutation mutation = Mutation::kNone);

  // Handles one message from `from` (a proposer). Replies go back to `from`. An Error means the
  // message was malformed, for another timeline, or of another configuration generation: the
  // driver closes that connection; the acceptor's state is unchanged.
  Result<Ready> step(NodeId from, const Message& message);
  // Switches to `configuration` (an operator's membership change): a higher generation, or the
  // same one again (nothing to do). kFailedPrecondition for a lower generation or another set
  // under this one; kInvalidArgument for a malformed one. An acceptor need not be a member: one
  // that is removed stops serving every proposer of older generations.
  Result<Ready> set_configuration(const Configuration& configuration);

  NodeId node_id() const { return node_id_; }
  const AcceptorState& state() const { return state_; }
  Term term() const { return state_.term; }
  Lsn flush_lsn() const { return flush_lsn_; }
  Lsn commit_lsn() const { return state_.commit_lsn; }
  // The history as it applies to the WAL actually held.
  TermHistory history_up_to_flush() const { return state_.history.up_to(flush_lsn_); }
  // Term of the last entry that covers the flushed WAL (Neon's "epoch").
  Term last_log_term() const { return history_up_to_flush().last_term(); }

 private:
  Result<Ready> handle_greeting(NodeId from, const ProposerGreeting& greeting);
  // kFailedPrecondition unless `generation` is this acceptor's.
  Status check_generation(Generation generation, std::string_view what) const;
  Ready handle_vote_request(NodeId from, const VoteRequest& request);
  Result<Ready> handle_elected(NodeId from, const ProposerElected& elected);
  Result<Ready> handle_append_request(NodeId from, const AppendRequest& request);
  Ready handle_read_wal(NodeId from, const ReadWalRequest& request) const;

  AppendResponse append_response(AppendStatus status) const;
  static Ready reply(NodeId to, Message message);

  const NodeId node_id_;
  const Mutation mutation_;
  // Mirrors what is durable once the driver has applied every Ready returned so far.
  AcceptorState state_;
  // End of the WAL written through Readys (durable once they are applied).
  Lsn flush_lsn_;
};

}  // namespace sk::consensus
