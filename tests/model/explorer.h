// Explorer: exhaustive exploration (breadth- or depth-first) of the real Acceptor/Proposer code.
// From the initial cluster it tries every enabled event in every reachable state: a message on a
// connection arrives (or, with FIFO connections, is lost or duplicated); a proposer's timeout; an
// elected proposer appends an entry; a fenced proposer restarts (TLA+'s RestartProposer); an
// acceptor crashes and restarts, losing what it had not synced. Reordering across connections is
// explored; within one connection it is left to the simulator. The SafetyChecker runs in every
// new state. States are recognised by a 64-bit digest of everything that decides their future,
// by default up to a renaming of the nodes (the protocol reads no node id; see symmetric_digest).
// The bounds are those of Neon's TLA+ model (proposers, acceptors, highest term, WAL entries),
// plus how a connection is modelled (ChannelModel).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "consensus/configuration.h"
#include "consensus/mutation.h"
#include "tests/sim/safety_checker.h"

namespace sk::model {

// How a connection carries messages in the model.
enum class ChannelModel : std::uint8_t {
  // A FIFO queue of `channel_capacity` messages, as TCP is: the head arrives, is lost, or (with
  // `duplicates`) arrives and stays; what is sent to a full queue is lost.
  kFifo,
  // The connection holds only the latest message sent on it: a newer send replaces it (the older
  // one is lost) and an arrival leaves it in place (it may arrive again, as a resend would). An
  // explicit loss adds nothing here, since a message never delivered is a lost one. This keeps
  // every stale message a proposer left behind while cutting the queue contents that only differ
  // in history (see docs/TESTING.md for what it does and does not cover).
  kLatest,
};

struct ExploreOptions {
  std::size_t proposers = 2;
  std::size_t acceptors = 3;
  std::uint64_t max_term = 2;
  std::uint64_t max_entries = 2;
  ChannelModel channels = ChannelModel::kFifo;
  // kFifo: messages a connection holds in flight; what is sent beyond is lost.
  std::size_t channel_capacity = 2;
  // Also explore a message arriving twice (TCP never does this; proposers' resends do).
  bool duplicates = false;
  // An acceptor's replies reach the proposer within the same event, as in Neon's TLA+ model
  // (instant delivery): requests may still be lost, resent and reordered across connections, but
  // replies are never delayed. Far fewer states; fewer behaviours too (see docs/TESTING.md).
  bool instant_replies = false;
  // Recognise states that differ only in which acceptor or proposer is which (see
  // symmetric_digest in explorer.cc); off, every renaming is a state of its own.
  bool symmetry = true;
  // Without symmetry: also count the renaming classes of the states reached (verify_symmetry).
  bool count_orbits = false;
  consensus::Mutation mutation = consensus::Mutation::kNone;
  // Membership changes: proposer i campaigns with configurations[i % size] (acceptors are
  // numbered 1..acceptors), and the checker requires every quorum of each of them to hold the
  // committed log. Empty: every proposer uses a majority of all acceptors. Proposers in
  // consecutive configurations of one change ({old} and {old} -> {new}, or that and {new}) must
  // be safe together; {old} and {new} directly need not be. The symmetry reduction is off with
  // configurations: acceptors and proposers are no longer interchangeable.
  std::vector<consensus::Configuration> configurations;
  // A membership change as an operator runs it (server and skctl do the same): the old members
  // start at C1 = g1 {old} and the other acceptors with none; proposers start with C1, and one
  // that is superseded restarts with the configuration it was shown. Three operator events,
  // each at any moment it is enabled: switch any acceptor of either set to J2 = g2 {old} ->
  // {new}; once a majority of the old members are at J2, record the sync point: P, the highest
  // flush LSN, and T, the highest term, among the old members at J2 (no proposer of C1 commits
  // past P or wins a term above T any more); and switch any acceptor to C3 = g3 {new}, once a
  // majority of the new members report a commit LSN at or above P and a term at or above T
  // (`guard` weakens this, which must break safety). The checker's quorum rule covers each
  // configuration once an acceptor has taken it.
  struct MembershipChange {
    std::vector<consensus::NodeId> old_members;
    std::vector<consensus::NodeId> new_members;
    // What C3 waits for: nothing, P only, or P and T (the protocol); the first two must fail.
    enum class Guard : std::uint8_t { kNone, kWal, kWalAndTerm };
    Guard guard = Guard::kWalAndTerm;
  };
  std::optional<MembershipChange> change;
  // Give up (incomplete) beyond this many distinct states, so a run stays bounded.
  std::uint64_t max_states = 20'000'000;
  bool progress = false;  // Print a line per BFS level, or per million states in DFS.
  // Breadth-first finds the shortest path to a violation but keeps a whole level of states in
  // memory; depth-first keeps only the current path and so reaches far larger bounds.
  bool depth_first = false;
};

struct ExploreResult {
  std::uint64_t distinct_states = 0;
  std::uint64_t transitions = 0;
  std::uint64_t depth = 0;  // Deepest level (BFS) or longest path (DFS) reached.
  bool complete = false;    // Every reachable state was expanded.
  // With count_orbits (and symmetry off): how many renaming classes the states fall into.
  std::uint64_t orbits = 0;
  std::optional<sim::Violation> violation;
  std::vector<std::string> trace;  // The path to the violating state, event by event.
  double seconds = 0;              // Wall-clock time of the exploration.
};

ExploreResult explore(const ExploreOptions& options);

// Checks the premise of the symmetry reduction at `options`' bounds: explores without it, counting
// the renaming classes of the states reached, then with it. When no decision of the protocol
// reads a node id, the reduced run reaches exactly one state per class and the counts agree; a
// decision that does read one (a tie broken by id) shows up as a difference.
struct SymmetryCheck {
  ExploreResult full;     // orbits filled in.
  ExploreResult reduced;  // distinct_states should equal full.orbits.
  bool holds() const {
    return full.complete && reduced.complete && full.orbits == reduced.distinct_states;
  }
};
SymmetryCheck verify_symmetry(const ExploreOptions& options);

}  // namespace sk::model
