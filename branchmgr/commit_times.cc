// CommitTimes; see commit_times.h.
#include "branchmgr/commit_times.h"

#include <algorithm>

namespace sk::branchmgr {

void CommitTimes::add(std::int64_t unix_us, consensus::Lsn end_lsn) {
  commits_.push_back({unix_us, end_lsn});
  running_max_us_.push_back(running_max_us_.empty() ? unix_us
                                                    : std::max(running_max_us_.back(), unix_us));
}

void CommitTimes::forget_below(consensus::Lsn lsn) {
  const auto keep = std::lower_bound(
      commits_.begin(), commits_.end(), lsn,
      [](const Commit& commit, consensus::Lsn limit) { return commit.end_lsn < limit; });
  const auto n = keep - commits_.begin();
  commits_.erase(commits_.begin(), keep);
  running_max_us_.erase(running_max_us_.begin(), running_max_us_.begin() + n);
}

std::size_t CommitTimes::count_until(consensus::Lsn limit) const {
  const auto it = std::upper_bound(
      commits_.begin(), commits_.end(), limit,
      [](consensus::Lsn lsn, const Commit& commit) { return lsn < commit.end_lsn; });
  return static_cast<std::size_t>(it - commits_.begin());
}

std::optional<std::size_t> CommitTimes::first_after(std::int64_t t, std::size_t n) const {
  const auto end = running_max_us_.begin() + static_cast<std::ptrdiff_t>(n);
  const auto it = std::upper_bound(running_max_us_.begin(), end, t);
  if (it == end) {
    return std::nullopt;
  }
  return static_cast<std::size_t>(it - running_max_us_.begin());
}

std::string_view timestamp_kind_name(TimestampKind kind) {
  switch (kind) {
    case TimestampKind::kBeforeData:
      return "nodata";
    case TimestampKind::kPast:
      return "past";
    case TimestampKind::kPresent:
      return "present";
    case TimestampKind::kFuture:
      return "future";
  }
  return "unknown";
}

LsnForTimestamp lsn_for_timestamp(std::span<const AncestryLevel> ancestry, std::int64_t t_us,
                                  std::int64_t now_us) {
  std::optional<consensus::Lsn> last_at_or_before;
  for (const AncestryLevel& level : ancestry) {
    if (level.commits == nullptr) {
      continue;
    }
    const std::size_t n = level.commits->count_until(level.limit);
    if (const auto later = level.commits->first_after(t_us, n)) {
      if (*later > 0) {
        return {TimestampKind::kPast, level.commits->at(*later - 1).end_lsn};
      }
      return last_at_or_before ? LsnForTimestamp{TimestampKind::kPast, last_at_or_before}
                               : LsnForTimestamp{TimestampKind::kBeforeData, std::nullopt};
    }
    if (n > 0) {
      last_at_or_before = level.commits->at(n - 1).end_lsn;
    }
  }
  if (!last_at_or_before) {
    return {TimestampKind::kBeforeData, std::nullopt};
  }
  return {t_us > now_us ? TimestampKind::kFuture : TimestampKind::kPresent, last_at_or_before};
}

}  // namespace sk::branchmgr
