// LmdbControlStore; see lmdb_control_store.h.
#include "safekeeper/storage/lmdb_control_store.h"

#include <algorithm>

namespace sk::storage {
namespace {

constexpr std::size_t kKeyBytes = 32;

std::string encode_key(const TimelineKey& key) {
  std::string out;
  out.reserve(kKeyBytes);
  out.append(key.tenant_id.bytes().begin(), key.tenant_id.bytes().end());
  out.append(key.timeline_id.bytes().begin(), key.timeline_id.bytes().end());
  return out;
}

TimelineKey decode_key(std::string_view bytes) {
  consensus::TenantId::Bytes tenant{};
  consensus::TimelineId::Bytes timeline{};
  std::copy_n(bytes.begin(), tenant.size(), tenant.begin());
  std::copy_n(bytes.begin() + static_cast<std::ptrdiff_t>(tenant.size()), timeline.size(),
              timeline.begin());
  return TimelineKey{consensus::TenantId(tenant), consensus::TimelineId(timeline)};
}

}  // namespace

Status LmdbControlStore::save(const consensus::AcceptorState& state) {
  return env_.put(LmdbEnv::Database::kControl, encode_key(key_of(state)),
                  encode_control_record(state));
}

Status LmdbControlStore::erase(const TimelineKey& key) {
  return env_.erase(LmdbEnv::Database::kControl, encode_key(key));
}

Result<std::optional<consensus::AcceptorState>> LmdbControlStore::load(const TimelineKey& key) {
  Result<std::optional<std::string>> bytes = env_.get(LmdbEnv::Database::kControl, encode_key(key));
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
    if (key.size() != kKeyBytes) {
      return Error(ErrorCode::kCorruption, "LMDB environment " + env_.dir().string() +
                                               ": a control key of " + std::to_string(key.size()) +
                                               " bytes (expected " + std::to_string(kKeyBytes) +
                                               ")");
    }
    keys.push_back(decode_key(key));
  }
  return keys;
}

}  // namespace sk::storage
