// CommitTimes; see commit_times.h.
#include "branchmgr/commit_times.h"

#include <algorithm>
#include <limits>

namespace sk::branchmgr {

using consensus::Lsn;

namespace {
constexpr std::int64_t kNoTime = std::numeric_limits<std::int64_t>::min();
}  // namespace

CommitTimes::CommitTimes(Lsn begin, std::uint64_t piece_bytes)
    : piece_bytes_(piece_bytes), open_begin_(begin), open_max_us_(kNoTime) {}

CommitTimes CommitTimes::resume(std::vector<CommitPiece> closed, std::uint64_t piece_bytes) {
  CommitTimes times;
  times.piece_bytes_ = piece_bytes;
  times.closed_ = std::move(closed);
  for (const CommitPiece& piece : times.closed_) {
    times.closed_commits_ += piece.commits;
  }
  times.open_begin_ = times.closed_.empty() ? Lsn() : times.closed_.back().end;
  times.open_max_us_ = times.closed_.empty() ? kNoTime : times.closed_.back().max_us;
  return times;
}

void CommitTimes::add(std::int64_t unix_us, Lsn end_lsn) {
  open_.push_back({unix_us, end_lsn});
  open_max_us_ = std::max(open_max_us_, unix_us);
  if (end_lsn.bytes_since(open_begin_) >= piece_bytes_) {
    close_piece();
  }
}

void CommitTimes::close_piece() {
  const Lsn end = open_.back().end_lsn;
  closed_.push_back({open_begin_, end, static_cast<std::uint32_t>(open_.size()), open_max_us_});
  closed_commits_ += open_.size();
  ++newly_closed_;
  open_.clear();
  open_begin_ = end;
}

void CommitTimes::forget_below(Lsn lsn) {
  const auto keep = std::find_if(closed_.begin(), closed_.end(),
                                 [&](const CommitPiece& piece) { return piece.begin >= lsn; });
  for (auto it = closed_.begin(); it != keep; ++it) {
    closed_commits_ -= it->commits;
  }
  closed_.erase(closed_.begin(), keep);
  newly_closed_ = std::min(newly_closed_, closed_.size());
}

std::vector<CommitPiece> CommitTimes::take_newly_closed() {
  std::vector<CommitPiece> pieces(closed_.end() - static_cast<std::ptrdiff_t>(newly_closed_),
                                  closed_.end());
  newly_closed_ = 0;
  return pieces;
}

Lsn CommitTimes::piece_begin_for(Lsn lsn) const {
  if (lsn < begin()) {
    return lsn;
  }
  const auto holding =
      std::lower_bound(closed_.begin(), closed_.end(), lsn,
                       [](const CommitPiece& piece, Lsn at) { return piece.end < at; });
  return holding != closed_.end() ? holding->begin : open_begin_;
}

std::uint64_t CommitTimes::memory_bytes() const {
  return closed_.size() * sizeof(CommitPiece) + open_.size() * sizeof(Commit);
}

Result<std::vector<Commit>> CommitTimes::read_piece(std::size_t i, const CommitReader& read) const {
  const CommitPiece& piece = closed_[i];
  auto commits = read(piece.begin, piece.end);
  if (!commits) {
    return commits.error();
  }
  if (commits->size() != piece.commits || commits->empty() ||
      commits->back().end_lsn != piece.end) {
    return Error(ErrorCode::kCorruption,
                 "the commit-time index's piece [" + piece.begin.to_string() + ", " +
                     piece.end.to_string() + ") of " + std::to_string(piece.commits) +
                     " commits reads back as " + std::to_string(commits->size()));
  }
  return commits;
}

Result<CommitTimes::Scan> CommitTimes::scan(std::int64_t t, Lsn limit,
                                            const CommitReader& read) const {
  Scan scan;
  const std::size_t k = closed_.size();
  auto end_of = [&](std::size_t piece) {
    return piece > 0 ? std::optional(closed_[piece - 1].end) : std::nullopt;
  };
  // The last commit at or before the limit: in the first piece that ends past it, or before.
  const auto past =
      std::upper_bound(closed_.begin(), closed_.end(), limit,
                       [](Lsn at, const CommitPiece& piece) { return at < piece.end; });
  const auto i = static_cast<std::size_t>(past - closed_.begin());
  std::span<const Commit> straddling;
  std::vector<Commit> read_back;
  if (i == k) {
    straddling = open_;
  } else if (closed_[i].begin < limit) {
    auto commits = read_piece(i, read);
    if (!commits) {
      return commits.error();
    }
    read_back = std::move(*commits);
    straddling = read_back;
  }
  scan.last = end_of(i);
  for (const Commit& c : straddling) {
    if (c.end_lsn <= limit) {
      scan.last = c.end_lsn;
    }
  }
  // The first commit after `t`: in the first piece whose running maximum passes it.
  const auto later =
      std::upper_bound(closed_.begin(), closed_.end(), t,
                       [](std::int64_t at, const CommitPiece& piece) { return at < piece.max_us; });
  const auto j = static_cast<std::size_t>(later - closed_.begin());
  std::span<const Commit> holding;
  std::vector<Commit> read_again;
  if (j == k) {
    holding = open_;
  } else if (closed_[j].begin < limit) {
    if (j == i && !read_back.empty()) {
      holding = read_back;
    } else {
      auto commits = read_piece(j, read);
      if (!commits) {
        return commits.error();
      }
      read_again = std::move(*commits);
      holding = read_again;
    }
  }
  std::optional<Lsn> before = end_of(j);
  for (const Commit& c : holding) {
    if (c.end_lsn > limit) {
      break;
    }
    if (c.unix_us > t) {
      scan.later = true;
      scan.before = before;
      break;
    }
    before = c.end_lsn;
  }
  return scan;
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

Result<LsnForTimestamp> lsn_for_timestamp(std::span<const AncestryLevel> ancestry,
                                          std::int64_t t_us, std::int64_t now_us) {
  std::optional<Lsn> last_at_or_before;
  for (const AncestryLevel& level : ancestry) {
    if (level.commits == nullptr) {
      continue;
    }
    auto scan = level.commits->scan(t_us, level.limit, level.read);
    if (!scan) {
      return scan.error();
    }
    if (scan->later) {
      if (scan->before) {
        return LsnForTimestamp{TimestampKind::kPast, scan->before};
      }
      return last_at_or_before ? LsnForTimestamp{TimestampKind::kPast, last_at_or_before}
                               : LsnForTimestamp{TimestampKind::kBeforeData, std::nullopt};
    }
    if (scan->last) {
      last_at_or_before = scan->last;
    }
  }
  if (!last_at_or_before) {
    return LsnForTimestamp{TimestampKind::kBeforeData, std::nullopt};
  }
  return LsnForTimestamp{t_us > now_us ? TimestampKind::kFuture : TimestampKind::kPresent,
                         last_at_or_before};
}

}  // namespace sk::branchmgr
