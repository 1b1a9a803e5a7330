// wal_spans(); see wal_spans.h.
#include "branchmgr/wal_spans.h"

namespace sk::branchmgr {

std::vector<WalSpan> wal_spans(const std::vector<Branch>& ancestry) {
  std::vector<WalSpan> spans;
  consensus::Lsn until = consensus::kMaxLsn;
  for (const Branch& level :
       ancestry) {  // From the branch up: each span ends where the next began.
    const consensus::Lsn from = level.parent_timeline_id ? level.branch_lsn : consensus::Lsn(0);
    if (from < until) {
      spans.push_back({level.timeline_id, from, until});
      until = from;
    }
  }
  return {spans.rbegin(), spans.rend()};
}

}  // namespace sk::branchmgr
