// Names of the test-only protocol mutations.
#include "consensus/mutation.h"

namespace sk::consensus {
namespace {

constexpr MutationInfo kMutations[] = {
    {Mutation::kAckBeforeSync, "ack-before-sync"},
    {Mutation::kAcceptLowerTermAppend, "accept-lower-term-append"},
    {Mutation::kDonorByFlushOnly, "donor-by-flush-only"},
    {Mutation::kCountEarlierTermAcks, "count-earlier-term-acks"},
    {Mutation::kSkipDivergentTruncation, "skip-divergent-truncation"},
};

}  // namespace

std::span<const MutationInfo> all_mutations() {
  return kMutations;
}

std::optional<Mutation> mutation_from_name(std::string_view name) {
  for (const MutationInfo& info : kMutations) {
    if (info.name == name) {
      return info.mutation;
    }
  }
  return std::nullopt;
}

std::string_view mutation_name(Mutation mutation) {
  for (const MutationInfo& info : kMutations) {
    if (info.mutation == mutation) {
      return info.name;
    }
  }
  return "none";
}

}  // namespace sk::consensus
