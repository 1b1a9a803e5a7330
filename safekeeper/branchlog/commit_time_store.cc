// CommitTimeStore; see commit_time_store.h.
#include "safekeeper/branchlog/commit_time_store.h"

#include <array>

#include "safekeeper/pgwal/wal_format.h"
#include "safekeeper/storage/checked_record.h"
#include "safekeeper/storage/timeline_key_bytes.h"

namespace sk::safekeeper {
namespace {

using storage::kTimelineKeyBytes;
using storage::LmdbEnv;
using storage::RecordMagic;
using storage::TimelineKey;

using branchmgr::CommitPiece;
using consensus::Lsn;

constexpr RecordMagic kMagic = {'S', 'K', 'C', 'I'};
constexpr std::uint32_t kVersion = 1;
constexpr std::size_t kPayloadBytes = 28;

std::string key_of(const TimelineKey& timeline, Lsn begin) {
  std::string key = storage::timeline_key_bytes(timeline);
  for (int shift = 56; shift >= 0; shift -= 8) {
    key.push_back(static_cast<char>((begin.value() >> shift) & 0xFF));
  }
  return key;
}

const std::uint8_t* as_bytes(std::string_view text) {
  return reinterpret_cast<const std::uint8_t*>(text.data());
}

}  // namespace

Status CommitTimeStore::save(const TimelineKey& timeline, const std::vector<CommitPiece>& pieces,
                             Lsn forget_below) {
  std::vector<std::pair<std::string, std::string>> puts;
  for (const CommitPiece& piece : pieces) {
    std::array<std::uint8_t, kPayloadBytes> bytes{};
    pgwal::store_u64(bytes.data(), piece.begin.value());
    pgwal::store_u64(bytes.data() + 8, piece.end.value());
    pgwal::store_u32(bytes.data() + 16, piece.commits);
    pgwal::store_u64(bytes.data() + 20, static_cast<std::uint64_t>(piece.max_us));
    puts.emplace_back(
        key_of(timeline, piece.begin),
        storage::frame_record(kMagic, kVersion, std::string(bytes.begin(), bytes.end())));
  }
  const std::string from = key_of(timeline, Lsn());
  const std::string to = key_of(timeline, forget_below);
  return env_.write(LmdbEnv::Database::kCommitIndex, puts, from, to);
}

Status CommitTimeStore::erase(const TimelineKey& timeline) {
  const std::string from = storage::timeline_key_bytes(timeline);
  std::string to = from;
  to.append(8, '\xFF');
  to.push_back('\xFF');
  return env_.write(LmdbEnv::Database::kCommitIndex, {}, from, to);
}

Result<std::map<TimelineKey, std::vector<CommitPiece>>> CommitTimeStore::load_all() const {
  auto entries = env_.scan(LmdbEnv::Database::kCommitIndex);
  if (!entries) {
    return entries.error();
  }
  std::map<TimelineKey, std::vector<CommitPiece>> out;
  for (const auto& [key, value] : *entries) {
    if (key.size() != kTimelineKeyBytes + 8) {
      return Error(ErrorCode::kCorruption,
                   "commit-time index record under a " + std::to_string(key.size()) + "-byte key");
    }
    const TimelineKey timeline = storage::timeline_key_from_bytes(key);
    auto payload = storage::unframe_record(
        kMagic, kVersion, value,
        "commit-time index of timeline " + storage::timeline_name(timeline));
    if (!payload) {
      return payload.error();
    }
    if (payload->size() != kPayloadBytes) {
      return Error(ErrorCode::kCorruption,
                   "commit-time index of timeline " + storage::timeline_name(timeline) +
                       ": a payload of " + std::to_string(payload->size()) + " bytes");
    }
    const std::uint8_t* p = as_bytes(*payload);
    out[timeline].push_back({Lsn(pgwal::load_u64(p)), Lsn(pgwal::load_u64(p + 8)),
                             pgwal::load_u32(p + 16),
                             static_cast<std::int64_t>(pgwal::load_u64(p + 20))});
  }
  return out;
}

}  // namespace sk::safekeeper
