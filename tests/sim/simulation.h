// Simulation: one seeded run of proposers and acceptors in a single process with virtual time.
// Two kinds of nodes: the bare state machines over SimDisks (Cluster), or, with real_nodes, the
// node's own code (NodeCluster: safekeeper::Timeline over the in-memory stores, with group
// commit and storage faults, and proposer::ProposerDriver).
// The network loses, duplicates, delays and reorders messages and can partition any set of
// nodes; each acceptor has a SimDisk that forgets unsynced WAL on a crash; acceptors crash and
// restart (also part-way through applying a Ready); proposers start and die at random and compete
// for the timeline. After every event the SafetyChecker runs. Twice per run a quiet period heals
// everything and lets one fresh proposer run alone: it must get elected and commit within a
// bounded number of ticks (liveness).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "consensus/mutation.h"
#include "tests/sim/safety_checker.h"

namespace sk::sim {

struct SimOptions {
  std::uint64_t seed = 1;
  std::uint64_t steps = 2000;
  std::size_t acceptors = 3;
  consensus::Mutation mutation = consensus::Mutation::kNone;
  bool real_nodes = false;
  bool print_trace = false;           // Print every trace line as it happens.
  std::size_t trace_tail_lines = 40;  // Lines kept for the report of a violation.
  std::uint32_t liveness_bound_ticks = 600;
};

struct SimStats {
  std::uint64_t events = 0;
  std::uint64_t messages_delivered = 0;
  std::uint64_t elections = 0;
  std::uint64_t acceptor_crashes = 0;
  std::uint64_t proposers_started = 0;
  std::uint64_t fenced = 0;
  std::uint64_t committed_bytes = 0;
  std::uint64_t timeline_stops = 0;  // Real nodes: timelines stopped by a storage fault.
  std::uint64_t batches = 0;         // Real nodes: commit_batch() calls covering several messages.
};

struct SimResult {
  std::optional<Violation> violation;
  std::uint64_t step = 0;  // The event at which the violation was found.
  std::vector<std::string> trace_tail;
  SimStats stats;
};

SimResult run_simulation(const SimOptions& options);

}  // namespace sk::sim
