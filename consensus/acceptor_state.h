// AcceptorState: what an acceptor keeps durably for one timeline, besides the WAL itself.
// The flush LSN is not part of it: the driver recomputes it from the WAL on disk at start-up
// (the WAL is the truth about what was written). proto/control.proto is its stored form.
#pragma once

#include "consensus/configuration.h"
#include "consensus/term_history.h"
#include "consensus/types.h"

namespace sk::consensus {

struct AcceptorState {
  TimelineIdentity identity;
  // The promise: no message from a lower term is accepted. Persisted before a vote leaves.
  Term term;
  // Who wrote which part of the log. May run ahead of the WAL (adopted before the bytes arrive);
  // always read it cut at the flush LSN.
  TermHistory history;
  // Highest LSN known committed by a majority and held locally; a record boundary; never moves
  // backwards. Readers are served up to here.
  Lsn commit_lsn;
  // Below this every acceptor holds the WAL (Neon's peer horizon); WAL removal may use it.
  Lsn truncate_lsn;
  // The acceptors that count (configuration.h). Generation 0 with no members: none set yet,
  // and proposers of generation 0 (a plain list of acceptors) are served.
  Configuration configuration{};

  // A new timeline: term 0, history [(0, start)], everything at the start LSN.
  static AcceptorState for_new_timeline(const TimelineIdentity& identity);

  friend bool operator==(const AcceptorState&, const AcceptorState&) = default;
};

inline AcceptorState AcceptorState::for_new_timeline(const TimelineIdentity& identity) {
  AcceptorState state;
  state.identity = identity;
  state.term = Term(0);
  state.history = TermHistory({{Term(0), identity.timeline_start_lsn}});
  state.commit_lsn = identity.timeline_start_lsn;
  state.truncate_lsn = identity.timeline_start_lsn;
  return state;
}

}  // namespace sk::consensus
