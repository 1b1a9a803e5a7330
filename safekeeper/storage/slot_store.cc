// SlotStore; see slot_store.h.
#include "safekeeper/storage/slot_store.h"

#include "safekeeper/storage/checked_record.h"

namespace sk::storage {
namespace {

constexpr RecordMagic kMagic = {'S', 'K', 'S', 'L'};
constexpr std::uint32_t kVersion = 1;
constexpr std::size_t kIdBytes = 16;

std::string key_of(const TimelineKey& timeline, const std::string& name) {
  const auto tenant = timeline.tenant_id.bytes();
  const auto id = timeline.timeline_id.bytes();
  std::string key(tenant.begin(), tenant.end());
  key.append(id.begin(), id.end());
  return key + name;
}

void put_u64(std::string& out, std::uint64_t value) {
  for (int shift = 0; shift < 64; shift += 8) {
    out.push_back(static_cast<char>((value >> shift) & 0xffu));
  }
}

std::uint64_t get_u64(std::string_view bytes, std::size_t offset) {
  std::uint64_t value = 0;
  for (std::size_t i = 0; i < 8; ++i) {
    value |= static_cast<std::uint64_t>(static_cast<unsigned char>(bytes[offset + i])) << (8 * i);
  }
  return value;
}

template <class Id>
Id id_at(std::string_view key, std::size_t offset) {
  typename Id::Bytes bytes{};
  for (std::size_t i = 0; i < kIdBytes; ++i) {
    bytes[i] = static_cast<std::uint8_t>(key[offset + i]);
  }
  return Id(bytes);
}

}  // namespace

Status SlotStore::save(const StoredSlot& slot) {
  std::string payload;
  put_u64(payload, slot.restart_lsn.value());
  put_u64(payload, static_cast<std::uint64_t>(slot.last_active_us));
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
    if (key.size() <= 2 * kIdBytes) {
      return Error(ErrorCode::kCorruption,
                   "slot record under a " + std::to_string(key.size()) + "-byte key");
    }
    StoredSlot slot;
    slot.timeline = {id_at<consensus::TenantId>(key, 0),
                     id_at<consensus::TimelineId>(key, kIdBytes)};
    slot.name = key.substr(2 * kIdBytes);
    auto payload =
        unframe_record(kMagic, kVersion, value,
                       "slot '" + slot.name + "' of timeline " + timeline_name(slot.timeline));
    if (!payload) {
      return payload.error();
    }
    if (payload->size() != 16) {
      return Error(ErrorCode::kCorruption, "slot '" + slot.name + "': payload of " +
                                               std::to_string(payload->size()) +
                                               " bytes, expected 16");
    }
    slot.restart_lsn = consensus::Lsn(get_u64(*payload, 0));
    slot.last_active_us = static_cast<std::int64_t>(get_u64(*payload, 8));
    slots.push_back(std::move(slot));
  }
  return slots;
}

}  // namespace sk::storage
