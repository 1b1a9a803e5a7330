// Explorer: breadth-first exhaustive exploration of the real Acceptor/Proposer code. From the
// initial cluster it tries every enabled event in every reachable state: the head of any
// connection's queue arrives, arrives and stays queued (duplicate), or is lost; a proposer's
// timeout; an elected proposer appends an entry; an acceptor crashes and restarts, losing what
// it had not synced, and its proposers see the connection drop. Connections are FIFO, as TCP
// is; reordering across connections is explored, and reordering within one is left to the
// simulator. The SafetyChecker runs in every new state. States are recognised by a 64-bit
// digest of everything that decides their future. The bounds are those of Neon's TLA+ model
// (proposers, acceptors, highest term, WAL entries) plus the capacity of a connection's queue.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "consensus/mutation.h"
#include "tests/sim/safety_checker.h"

namespace sk::model {

struct ExploreOptions {
  std::size_t proposers = 2;
  std::size_t acceptors = 3;
  std::uint64_t max_term = 2;
  std::uint64_t max_entries = 2;
  // Messages a connection holds in flight; what is sent beyond is lost.
  std::size_t channel_capacity = 2;
  // Also explore a message arriving twice (TCP never does this; proposers' resends do).
  bool duplicates = false;
  // An acceptor's replies reach the proposer within the same event, as in Neon's TLA+ model
  // (instant delivery): requests may still be lost, resent and reordered across connections, but
  // replies are never delayed. Far fewer states; fewer behaviours too (see docs/TESTING.md).
  bool instant_replies = false;
  consensus::Mutation mutation = consensus::Mutation::kNone;
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
  std::optional<sim::Violation> violation;
  std::vector<std::string> trace;  // The path to the violating state, event by event.
};

ExploreResult explore(const ExploreOptions& options);

}  // namespace sk::model
