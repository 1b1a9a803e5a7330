// Deliberately broken protocol variants, used to prove that the simulation and the explorer can
// catch each class of bug (tests/sim, tests/model). They are compiled in only where
// SK_ENABLE_MUTATIONS is defined, which only the test copy of the library (sk_consensus_testing)
// does; in the production library `is_mutated` is constant false and the branches vanish.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string_view>

namespace sk::consensus {

enum class Mutation : std::uint8_t {
  kNone,
  // The acceptor acknowledges appends without asking for an fdatasync first.
  kAckBeforeSync,
  // The acceptor accepts an AppendRequest from a term below its promise.
  kAcceptLowerTermAppend,
  // The proposer picks the donor by flush LSN alone, ignoring the last log term.
  kDonorByFlushOnly,
  // The proposer counts flush positions reported in earlier terms (vote-time flush, and acks
  // below its term's start) towards the commit LSN (Raft's figure 8).
  kCountEarlierTermAcks,
  // The acceptor adopts the elected proposer's history without truncating its diverging tail.
  kSkipDivergentTruncation,
};

struct MutationInfo {
  Mutation mutation;
  std::string_view name;
};

// Every mutation but kNone, with its command-line name.
std::span<const MutationInfo> all_mutations();
std::optional<Mutation> mutation_from_name(std::string_view name);
std::string_view mutation_name(Mutation mutation);

constexpr bool is_mutated(Mutation active, Mutation candidate) {
#ifdef SK_ENABLE_MUTATIONS
  return active == candidate;
#else
  (void)active;
  (void)candidate;
  return false;
#endif
}

}  // namespace sk::consensus
