// SlotStore; see slot_store.h.
#include "safekeeper/storage/slot_store.h"

#include <array>

#include "safekeeper/pgwal/wal_format.h"
#include "safekeeper/storage/checked_record.h"
#include "safekeeper/storage/timeline_key_bytes.h"

namespace sk::storage {
namespace {

constexpr RecordMagic kMagic = {'S', 'K', 'S', 'L'};
constexpr std::uint32_t kVersion = 1;
constexpr std::size_t kPayloadBytes = 16;

std::string key_of(const TimelineKey& timeline, const std::string& name) {
  return timeline_key_bytes(timeline) + name;
}

const std::uint8_t* as_bytes(std::string_view text) {
  return reinterpret_cast<const std::uint8_t*>(text.data());
}

}  // namespace

Status SlotStore::save(const StoredSlot& slot) {
  std::array<std::uint8_t, kPayloadBytes> bytes{};
  pgwal::store_u64(bytes.data(), slot.restart_lsn.value());
  pgwal::store_u64(bytes.data() + 8, static_cast<std::uint64_t>(slot.last_active_us));
  const std::string payload(bytes.begin(), bytes.end());
  return env_.put(LmdbEnv::Database::kSlots, key_of(slot.timeline, slot.name),
                  frame_record(kMagic, kVersion, payload));
}

Status SlotStore::erase(const TimelineKey& timeline, const std::string& name) {
  return env_.erase(LmdbEnv::Database::kSlots, key_of(timeline, name));
}

Result<std::vector<StoredSlot>> SlotStore::load_all() const {
  auto entries = env_.scan(LmdbEnv::Database::kSlots);
  if (!entries) {
    return entries.error();
  }
  std::vector<StoredSlot> slots;
  for (const auto& [key, value] : *entries) {
    if (key.size() <= kTimelineKeyBytes) {
      return Error(ErrorCode::kCorruption,
                   "slot record under a " + std::to_string(key.size()) + "-byte key");
    }
    StoredSlot slot;
    slot.timeline = timeline_key_from_bytes(key);
    slot.name = key.substr(kTimelineKeyBytes);
    auto payload =
        unframe_record(kMagic, kVersion, value,
                       "slot '" + slot.name + "' of timeline " + timeline_name(slot.timeline));
    if (!payload) {
      return payload.error();
    }
    if (payload->size() != kPayloadBytes) {
      return Error(ErrorCode::kCorruption, "slot '" + slot.name + "': payload of " +
                                               std::to_string(payload->size()) +
                                               " bytes, expected 16");
    }
    slot.restart_lsn = consensus::Lsn(pgwal::load_u64(as_bytes(*payload)));
    slot.last_active_us = static_cast<std::int64_t>(pgwal::load_u64(as_bytes(*payload) + 8));
    slots.push_back(std::move(slot));
  }
  return slots;
}

}  // namespace sk::storage
