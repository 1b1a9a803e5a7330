// Majority arithmetic: sort descending, the quorum-th highest is reached by a majority.
#include "consensus/quorum.h"

#include <algorithm>
#include <functional>

#include "consensus/check.h"

namespace sk::consensus {

Lsn quorum_flush_lsn(std::vector<Lsn> flush_lsns) {
  SK_CHECK(!flush_lsns.empty());
  const std::size_t quorum = quorum_size(flush_lsns.size());
  std::nth_element(flush_lsns.begin(), flush_lsns.begin() + static_cast<std::ptrdiff_t>(quorum - 1),
                   flush_lsns.end(), std::greater<>());
  return flush_lsns[quorum - 1];
}

}  // namespace sk::consensus
