// ComposedWal; see composed_wal.h.
#include "safekeeper/branchlog/composed_wal.h"

#include <algorithm>

#include "branchmgr/wal_spans.h"

namespace sk::safekeeper {
namespace {

using consensus::Lsn;

Error not_hosted(const storage::TimelineKey& key, const std::string& what) {
  return Error(ErrorCode::kNotFound, "timeline " + storage::timeline_name(key) + what +
                                         " is not hosted on this safekeeper");
}

// What readers may have of one timeline: committed, and durable here.
Lsn committed_end(const Timeline& timeline) {
  return std::min(timeline.durable_state().commit_lsn, timeline.flush_lsn());
}

// A piece of the composition with its timeline, while it is being composed.
struct TimelinePiece {
  const Timeline* timeline = nullptr;
  Lsn from;
  Lsn until;
};

// Where the pieces are readable from `start` without a gap.
Lsn readable_end(Lsn start, const std::vector<TimelinePiece>& pieces) {
  Lsn at = start;
  for (const TimelinePiece& piece : pieces) {
    if (piece.from > at) {
      break;  // A gap: an ancestor's timeline starts above where its parent's part ended.
    }
    const Lsn end = std::min(piece.until, committed_end(*piece.timeline));
    at = std::max(at, end);
    if (end < piece.until) {
      break;
    }
  }
  return at;
}

Composition describe(const consensus::TimelineIdentity& identity,
                     const std::vector<TimelinePiece>& pieces) {
  Composition c;
  c.identity = identity;
  c.committed = readable_end(identity.timeline_start_lsn, pieces);
  for (const TimelinePiece& piece : pieces) {
    c.pieces.push_back({piece.timeline->durable_reader(), piece.from, piece.until});
  }
  return c;
}

}  // namespace

Result<Composition> ComposedWal::compose(const storage::TimelineKey& key) const {
  const branchmgr::Branch* branch =
      branches_ != nullptr ? branches_->view().branch_with_timeline(key.tenant_id, key.timeline_id)
                           : nullptr;
  if (branch == nullptr) {
    const Timeline* own = lookup_(key);
    if (own == nullptr) {
      return not_hosted(key, "");
    }
    const consensus::TimelineIdentity& identity = own->acceptor().state().identity;
    return describe(identity, {{own, identity.timeline_start_lsn, consensus::kMaxLsn}});
  }
  consensus::TimelineIdentity composed;
  std::vector<TimelinePiece> pieces;
  const std::vector<branchmgr::WalSpan> spans =
      branchmgr::wal_spans(branches_->view().ancestry(*branch));
  for (std::size_t i = 0; i < spans.size(); ++i) {
    const branchmgr::WalSpan& span = spans[i];
    const storage::TimelineKey span_key{key.tenant_id, span.timeline};
    const Timeline* timeline = lookup_(span_key);
    if (timeline == nullptr) {
      if (i + 1 == spans.size() && i > 0) {
        break;  // The branch itself has no WAL of its own yet.
      }
      return not_hosted(
          span_key, i == 0 ? " (the root of this branch's log)" : " (an ancestor of this branch)");
    }
    const consensus::TimelineIdentity& identity = timeline->acceptor().state().identity;
    if (i == 0) {
      composed = identity;
      composed.timeline_id = key.timeline_id;
    }
    pieces.push_back({timeline, std::max(span.from, identity.timeline_start_lsn), span.until});
  }
  return describe(composed, pieces);
}

Result<std::vector<std::uint8_t>> ComposedWal::read(const Composition& composition, Lsn from,
                                                    Lsn until) {
  if (from > until || until > composition.committed) {
    return Error(ErrorCode::kInvalidArgument, "WAL [" + from.to_string() + ", " +
                                                  until.to_string() +
                                                  ") is not within what is committed here (up to " +
                                                  composition.committed.to_string() + ")");
  }
  std::vector<std::uint8_t> bytes(until.bytes_since(from));
  Lsn at = from;  // Filled up to here.
  for (const Composition::Piece& piece : composition.pieces) {
    const Lsn begin = std::max(from, piece.from);
    const Lsn end = std::min(until, piece.until);
    if (begin >= end) {
      continue;
    }
    if (at != begin) {
      return Error(ErrorCode::kNotFound, "WAL [" + at.to_string() + ", " + begin.to_string() +
                                             ") of this branch's log is not held here");
    }
    const auto into = std::span(bytes).subspan(begin.bytes_since(from), end.bytes_since(begin));
    if (Status read = piece.wal->read(begin, into); !read) {
      return read.error();
    }
    at = end;
  }
  if (at != until) {
    return Error(ErrorCode::kNotFound,
                 "WAL up to " + until.to_string() + " of this branch's log is not held here");
  }
  return bytes;
}

}  // namespace sk::safekeeper
