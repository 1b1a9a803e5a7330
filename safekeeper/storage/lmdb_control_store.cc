// LmdbControlStore; see lmdb_control_store.h.
#include "safekeeper/storage/lmdb_control_store.h"

#include "safekeeper/storage/timeline_key_bytes.h"

namespace sk::storage {

Status LmdbControlStore::save(const consensus::AcceptorState& state) {
  return env_.put(LmdbEnv::Database::kControl, timeline_key_bytes(key_of(state)),
                  encode_control_record(state));
}

Status LmdbControlStore::erase(const TimelineKey& key) {
  return env_.erase(LmdbEnv::Database::kControl, timeline_key_bytes(key));
}

Result<std::optional<consensus::AcceptorState>> LmdbControlStore::load(const TimelineKey& key) {
  Result<std::optional<std::string>> bytes =
      env_.get(LmdbEnv::Database::kControl, timeline_key_bytes(key));
  if (!bytes) {
    return bytes.error();
  }
  if (!bytes->has_value()) {
    return std::optional<consensus::AcceptorState>();
  }
  Result<consensus::AcceptorState> state = decode_control_record(key, **bytes);
  if (!state) {
    return state.error();
  }
  return std::optional<consensus::AcceptorState>(std::move(*state));
}

Result<std::vector<TimelineKey>> LmdbControlStore::list() {
  auto entries = env_.scan(LmdbEnv::Database::kControl);
  if (!entries) {
    return entries.error();
  }
  std::vector<TimelineKey> keys;
  keys.reserve(entries->size());
  for (const auto& [key, value] : *entries) {
    if (key.size() != kTimelineKeyBytes) {
      return Error(ErrorCode::kCorruption, "LMDB environment " + env_.dir().string() +
                                               ": a control key of " + std::to_string(key.size()) +
                                               " bytes (expected " +
                                               std::to_string(kTimelineKeyBytes) + ")");
    }
    keys.push_back(timeline_key_from_bytes(key));
  }
  return keys;
}

}  // namespace sk::storage
