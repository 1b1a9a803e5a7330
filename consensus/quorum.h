// Majority arithmetic. Kept apart so it can be checked against a naive oracle (tests/unit).
#pragma once

#include <cstddef>
#include <vector>

#include "consensus/types.h"

namespace sk::consensus {

// Votes needed out of `members`: floor(n/2) + 1.
constexpr std::size_t quorum_size(std::size_t members) {
  return members / 2 + 1;
}

// The highest LSN that at least quorum_size(members) of the given flush positions reach.
// `flush_lsns` holds one entry per member (kInvalidLsn for a member that has not acknowledged).
Lsn quorum_flush_lsn(std::vector<Lsn> flush_lsns);

}  // namespace sk::consensus
