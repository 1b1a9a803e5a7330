// CommitTimeIndexer; see commit_time_indexer.h.
#include "safekeeper/branchlog/commit_time_indexer.h"

#include <algorithm>

#include "branchmgr/rfc3339.h"
#include "safekeeper/log/log.h"
#include "safekeeper/pgwal/first_record.h"
#include "safekeeper/pgwal/wal_record.h"

namespace sk::safekeeper {

using branchmgr::CommitPiece;
using consensus::Lsn;

namespace {

// A continued record at a timeline's start longer than this is not looked past.
constexpr std::uint64_t kMaxLeadingContinuationBytes = std::uint64_t{32} << 20;
constexpr std::uint64_t kReadPieceBytes = std::uint64_t{1} << 20;

bool is_postgres_timeline(const Timeline& timeline) {
  return timeline.acceptor().state().identity.pg_version != 0;  // 0: the branch log.
}

Lsn committed_end(const Timeline& timeline) {
  return std::min(timeline.acceptor().state().commit_lsn, timeline.flush_lsn());
}

pgwal::WalDecoderOptions decoder_options(const consensus::TimelineIdentity& identity) {
  pgwal::WalDecoderOptions options;
  options.seg_size_bytes = identity.wal_seg_size_bytes;
  if (identity.system_id != 0) {
    options.system_id = identity.system_id;
  }
  return options;
}

// Feeds the decoder the timeline's WAL up to `until`, a piece at a time.
Status feed(const Timeline& timeline, pgwal::WalDecoder& decoder, Lsn until,
            const pgwal::WalDecoder::RecordCallback& on_record) {
  while (decoder.position() < until && decoder.state() == pgwal::WalDecoder::State::kDecoding) {
    const Lsn from = decoder.position();
    const Lsn to = std::min(until, from.plus_bytes(kReadPieceBytes));
    auto bytes = timeline.read_wal(from, to);
    if (!bytes) {
      return bytes.error();
    }
    decoder.feed(*bytes, on_record);
  }
  if (decoder.state() != pgwal::WalDecoder::State::kDecoding) {
    return Error(ErrorCode::kCorruption, "committed WAL does not decode at " +
                                             decoder.stop()->lsn.to_string() + ": " +
                                             decoder.stop()->reason);
  }
  return {};
}

// The pieces saved for a timeline, if they still describe its WAL: from the first kept, each
// beginning where the one before ends, none past what is committed.
std::optional<std::vector<CommitPiece>> usable(std::vector<CommitPiece> pieces, Lsn first_held,
                                               Lsn committed) {
  std::erase_if(pieces, [&](const CommitPiece& p) { return p.begin < first_held; });
  if (pieces.empty() || pieces.back().end > committed) {
    return std::nullopt;
  }
  for (std::size_t i = 1; i < pieces.size(); ++i) {
    if (pieces[i].begin != pieces[i - 1].end) {
      return std::nullopt;
    }
  }
  return pieces;
}

}  // namespace

CommitTimeIndexer::CommitTimeIndexer(Node& node, std::uint64_t piece_bytes)
    : node_(node), store_(node.lmdb()), piece_bytes_(piece_bytes) {
  auto saved = store_.load_all();
  if (!saved) {
    log_warn("commit-time index: the saved pieces cannot be read (" + saved.error().to_string() +
             "); every timeline's index is rebuilt from its WAL");
    return;
  }
  saved_ = std::move(*saved);
}

CommitTimeIndexer::~CommitTimeIndexer() {
  for (auto& [key, entry] : indexed_) {
    save(key, entry, true);
  }
}

bool CommitTimeIndexer::catch_up() {
  // A removed timeline's index goes with it, saved pieces included (also those saved by an
  // earlier run for a timeline removed since).
  auto drop = [this](const storage::TimelineKey& key) {
    if (Status erased = store_.erase(key); !erased) {
      log_warn("commit-time index of removed timeline " + storage::timeline_name(key) + ": " +
               erased.error().to_string());
    }
  };
  for (auto it = indexed_.begin(); it != indexed_.end();) {
    if (node_.timeline(it->first) != nullptr) {
      ++it;
      continue;
    }
    drop(it->first);
    it = indexed_.erase(it);
  }
  for (auto it = saved_.begin(); it != saved_.end();) {
    const bool hosted = node_.timeline(it->first) != nullptr || node_.broken().contains(it->first);
    if (hosted) {
      ++it;
      continue;
    }
    drop(it->first);
    it = saved_.erase(it);
  }
  bool more = false;
  for (const storage::TimelineKey& key : node_.timelines()) {
    const Timeline* timeline = node_.timeline(key);
    if (timeline == nullptr || !is_postgres_timeline(*timeline)) {
      continue;
    }
    Indexed& entry = indexed_[key];
    if (!entry.failure) {
      more = index(key, *timeline, entry) || more;
      if (entry.failure) {
        log_error("commit-time index of timeline " + storage::timeline_name(key) +
                  " stopped: " + entry.failure->to_string());
      }
      save(key, entry, false);
    }
  }
  return more;
}

bool CommitTimeIndexer::start_decoder(const storage::TimelineKey& key, const Timeline& timeline,
                                      Indexed& indexed, Lsn committed) {
  const consensus::TimelineIdentity& identity = timeline.acceptor().state().identity;
  const Lsn first_held = node_.first_held_lsn(key).value_or(identity.timeline_start_lsn);
  if (auto it = saved_.find(key); it != saved_.end()) {
    std::optional<std::vector<CommitPiece>> pieces =
        usable(std::move(it->second), first_held, committed);
    saved_.erase(it);
    if (pieces) {
      auto decoder = pgwal::WalDecoder::create(pieces->back().end, decoder_options(identity));
      if (decoder) {
        log_info("commit-time index of timeline " + storage::timeline_name(key) + ": " +
                 std::to_string(pieces->size()) + " saved pieces up to " +
                 pieces->back().end.to_string() + "; decoding on from there");
        indexed.commits = branchmgr::CommitTimes::resume(std::move(*pieces), piece_bytes_);
        indexed.decoder.emplace(std::move(*decoder));
        return true;
      }
    }
    // Rebuilt from the WAL kept; the pieces saved are replaced as new ones close.
    if (Status erased = store_.erase(key); !erased) {
      log_warn("commit-time index of timeline " + storage::timeline_name(key) + ": " +
               erased.error().to_string());
    }
  }
  Lsn first = first_held;
  if (first.value() % pgwal::kWalPageSizeBytes == 0) {
    const Lsn until = std::min(committed, first.plus_bytes(kMaxLeadingContinuationBytes));
    auto bytes = timeline.read_wal(first, until);
    if (!bytes) {
      indexed.failure = bytes.error();
      return false;
    }
    auto found = pgwal::first_record_start(*bytes, first, identity.wal_seg_size_bytes);
    if (!found) {
      if (until < committed) {
        indexed.failure = Error(ErrorCode::kCorruption,
                                "the record continued at the WAL's start is longer than " +
                                    std::to_string(kMaxLeadingContinuationBytes) + " bytes");
      }
      return false;  // Not enough WAL yet to know where the first record starts.
    }
    if (!*found) {
      indexed.failure = found->error();
      return false;
    }
    first = **found;
  }
  auto decoder = pgwal::WalDecoder::create(first, decoder_options(identity));
  if (!decoder) {
    indexed.failure = decoder.error();
    return false;
  }
  indexed.decoder.emplace(std::move(*decoder));
  indexed.commits.emplace(first, piece_bytes_);
  return true;
}

bool CommitTimeIndexer::index(const storage::TimelineKey& key, const Timeline& timeline,
                              Indexed& indexed) {
  const Lsn committed = committed_end(timeline);
  if (!indexed.decoder && !start_decoder(key, timeline, indexed, committed)) {
    return false;
  }
  pgwal::WalDecoder& decoder = *indexed.decoder;
  const Lsn stop_at = std::min(committed, decoder.position().plus_bytes(kBytesPerCall));
  branchmgr::CommitTimes& commits = *indexed.commits;
  Status fed = feed(timeline, decoder, stop_at, [&commits](const pgwal::WalRecord& record) {
    if (auto pg_time = pgwal::xact_time_of(record)) {
      commits.add(branchmgr::kPostgresEpochUnixUs + *pg_time, record.end_lsn);
    }
  });
  std::vector<CommitPiece> closed = commits.take_newly_closed();
  indexed.unsaved.insert(indexed.unsaved.end(), closed.begin(), closed.end());
  if (!fed) {
    indexed.failure = fed.error();
    return false;
  }
  return decoder.position() < committed;
}

void CommitTimeIndexer::save(const storage::TimelineKey& key, Indexed& indexed, bool now) {
  const auto at = std::chrono::steady_clock::now();
  if (indexed.unsaved.empty() || (!now && at - indexed.saved_at < kSaveInterval)) {
    return;
  }
  if (Status saved = store_.save(key, indexed.unsaved); !saved) {
    // Not fatal: the index is whole in memory; a restart decodes again from the last piece kept.
    log_warn("commit-time index of timeline " + storage::timeline_name(key) +
             " not saved: " + saved.error().to_string());
  }
  indexed.unsaved.clear();
  indexed.saved_at = at;
}

const CommitTimeIndexer::Indexed* CommitTimeIndexer::indexed(
    const storage::TimelineKey& key) const {
  auto it = indexed_.find(key);
  return it == indexed_.end() ? nullptr : &it->second;
}

Lsn CommitTimeIndexer::indexed_lsn(const storage::TimelineKey& key) const {
  const Indexed* found = indexed(key);
  return found != nullptr && found->decoder ? found->decoder->position() : Lsn(0);
}

branchmgr::CommitReader CommitTimeIndexer::reader(const storage::TimelineKey& key) const {
  return [this, key](Lsn begin, Lsn end) -> Result<std::vector<branchmgr::Commit>> {
    const Timeline* timeline = node_.timeline(key);
    if (timeline == nullptr) {
      return Error(ErrorCode::kNotFound,
                   "timeline " + storage::timeline_name(key) + " is not hosted here");
    }
    auto decoder =
        pgwal::WalDecoder::create(begin, decoder_options(timeline->acceptor().state().identity));
    if (!decoder) {
      return decoder.error();
    }
    std::vector<branchmgr::Commit> commits;
    Status fed = feed(*timeline, *decoder, end, [&](const pgwal::WalRecord& record) {
      if (auto pg_time = pgwal::xact_time_of(record); pg_time && record.end_lsn <= end) {
        commits.push_back({branchmgr::kPostgresEpochUnixUs + *pg_time, record.end_lsn});
      }
    });
    if (!fed) {
      return fed.error();
    }
    return commits;
  };
}

void CommitTimeIndexer::forget_below(const storage::TimelineKey& key, Lsn lsn) {
  auto it = indexed_.find(key);
  if (it == indexed_.end() || !it->second.commits || it->second.commits->closed().empty() ||
      it->second.commits->closed().front().begin >= lsn) {
    return;  // No closed piece begins below: nothing to forget.
  }
  Indexed& indexed = it->second;
  indexed.commits->forget_below(lsn);
  std::erase_if(indexed.unsaved, [&](const CommitPiece& p) { return p.begin < lsn; });
  if (Status saved = store_.save(key, {}, lsn); !saved) {
    log_warn("commit-time index of timeline " + storage::timeline_name(key) + ": " +
             saved.error().to_string());
  }
}

}  // namespace sk::safekeeper
