// CommitTimeIndexer; see commit_time_indexer.h.
#include "safekeeper/branchlog/commit_time_indexer.h"

#include <algorithm>

#include "branchmgr/rfc3339.h"
#include "safekeeper/log/log.h"
#include "safekeeper/pgwal/first_record.h"
#include "safekeeper/pgwal/wal_record.h"

namespace sk::safekeeper {

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

}  // namespace

bool CommitTimeIndexer::catch_up() {
  // A removed timeline's index goes with it.
  std::erase_if(indexed_,
                [this](const auto& entry) { return node_.timeline(entry.first) == nullptr; });
  bool more = false;
  for (const storage::TimelineKey& key : node_.timelines()) {
    const Timeline* timeline = node_.timeline(key);
    if (timeline == nullptr || !is_postgres_timeline(*timeline)) {
      continue;
    }
    Indexed& entry = indexed_[key];
    if (!entry.failure) {
      const Lsn first_held = node_.first_held_lsn(key).value_or(
          timeline->acceptor().state().identity.timeline_start_lsn);
      more = index(*timeline, first_held, entry) || more;
      if (entry.failure) {
        log_error("commit-time index of timeline " + storage::timeline_name(key) +
                  " stopped: " + entry.failure->to_string());
      }
    }
  }
  return more;
}

bool CommitTimeIndexer::start_decoder(const Timeline& timeline, Lsn first, Indexed& indexed,
                                      Lsn committed) {
  const consensus::TimelineIdentity& identity = timeline.acceptor().state().identity;
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
                                "the record continued at the timeline's start is longer than " +
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
  pgwal::WalDecoderOptions options;
  options.seg_size_bytes = identity.wal_seg_size_bytes;
  if (identity.system_id != 0) {
    options.system_id = identity.system_id;
  }
  auto decoder = pgwal::WalDecoder::create(first, options);
  if (!decoder) {
    indexed.failure = decoder.error();
    return false;
  }
  indexed.decoder.emplace(std::move(*decoder));
  return true;
}

bool CommitTimeIndexer::index(const Timeline& timeline, Lsn first_held, Indexed& indexed) {
  const Lsn committed = committed_end(timeline);
  if (!indexed.decoder && !start_decoder(timeline, first_held, indexed, committed)) {
    return false;
  }
  pgwal::WalDecoder& decoder = *indexed.decoder;
  const Lsn stop_at = std::min(committed, decoder.position().plus_bytes(kBytesPerCall));
  while (decoder.position() < stop_at && decoder.state() == pgwal::WalDecoder::State::kDecoding) {
    const Lsn from = decoder.position();
    const Lsn to = std::min(stop_at, from.plus_bytes(kReadPieceBytes));
    auto bytes = timeline.read_wal(from, to);
    if (!bytes) {
      indexed.failure = bytes.error();
      return false;
    }
    decoder.feed(*bytes, [&indexed](const pgwal::WalRecord& record) {
      if (auto pg_time = pgwal::xact_time_of(record)) {
        indexed.commits.add(branchmgr::kPostgresEpochUnixUs + *pg_time, record.end_lsn);
      }
    });
  }
  if (decoder.state() != pgwal::WalDecoder::State::kDecoding) {
    indexed.failure = Error(ErrorCode::kCorruption, "committed WAL does not decode at " +
                                                        decoder.stop()->lsn.to_string() + ": " +
                                                        decoder.stop()->reason);
    return false;
  }
  return decoder.position() < committed;
}

const CommitTimeIndexer::Indexed* CommitTimeIndexer::indexed(
    const storage::TimelineKey& key) const {
  auto it = indexed_.find(key);
  return it == indexed_.end() ? nullptr : &it->second;
}

void CommitTimeIndexer::forget_below(const storage::TimelineKey& key, Lsn lsn) {
  if (auto it = indexed_.find(key); it != indexed_.end()) {
    it->second.commits.forget_below(lsn);
  }
}

Lsn CommitTimeIndexer::indexed_lsn(const storage::TimelineKey& key) const {
  const Indexed* found = indexed(key);
  return found != nullptr && found->decoder ? found->decoder->position() : Lsn(0);
}

}  // namespace sk::safekeeper
