// ComposedWal; see composed_wal.h.
#include "safekeeper/server/composed_wal.h"

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

// Where the pieces are readable from their start without a gap.
Lsn readable_end(const Composition& c) {
  Lsn at = c.identity.timeline_start_lsn;
  for (const Composition::Piece& piece : c.pieces) {
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

}  // namespace

Result<Composition> ComposedWal::compose(const storage::TimelineKey& key) const {
  const branchmgr::Branch* branch =
      branches_ != nullptr ? branches_->view().branch_with_timeline(key.tenant_id, key.timeline_id)
                           : nullptr;
  Composition c;
  if (branch == nullptr) {
    const Timeline* own = lookup_(key);
    if (own == nullptr) {
      return not_hosted(key, "");
    }
    c.identity = own->acceptor().state().identity;
    c.pieces.push_back({own, c.identity.timeline_start_lsn, consensus::kMaxLsn});
    c.committed = readable_end(c);
    return c;
  }
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
      c.identity = identity;
      c.identity.timeline_id = key.timeline_id;
    }
    c.pieces.push_back({timeline, std::max(span.from, identity.timeline_start_lsn), span.until});
  }
  c.committed = readable_end(c);
  return c;
}

Result<std::vector<std::uint8_t>> ComposedWal::read(const Composition& composition, Lsn from,
                                                    Lsn until) {
  std::vector<std::uint8_t> bytes;
  bytes.reserve(until.bytes_since(from));
  for (const Composition::Piece& piece : composition.pieces) {
    const Lsn begin = std::max(from, piece.from);
    const Lsn end = std::min(until, piece.until);
    if (begin >= end) {
      continue;
    }
    if (Lsn(from.value() + bytes.size()) != begin) {
      return Error(ErrorCode::kNotFound, "WAL [" + Lsn(from.value() + bytes.size()).to_string() +
                                             ", " + begin.to_string() +
                                             ") of this branch's log is not held here");
    }
    auto piece_bytes = piece.timeline->read_wal(begin, end);
    if (!piece_bytes) {
      return piece_bytes.error();
    }
    bytes.insert(bytes.end(), piece_bytes->begin(), piece_bytes->end());
  }
  if (Lsn(from.value() + bytes.size()) != until) {
    return Error(ErrorCode::kNotFound,
                 "WAL up to " + until.to_string() + " of this branch's log is not held here");
  }
  return bytes;
}

}  // namespace sk::safekeeper
