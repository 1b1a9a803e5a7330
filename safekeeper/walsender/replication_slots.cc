// ReplicationSlots; see replication_slots.h.
#include "safekeeper/walsender/replication_slots.h"

#include <algorithm>

namespace sk::walsender {
namespace {

// PostgreSQL's ReplicationSlotValidateName: NAMEDATALEN - 1 characters of [a-z0-9_].
constexpr std::size_t kMaxSlotName = 63;

Error not_found(const std::string& name) {
  return Error(ErrorCode::kNotFound, "replication slot \"" + name + "\" does not exist");
}

Error in_use(const std::string& name) {
  return Error(ErrorCode::kFailedPrecondition,
               "replication slot \"" + name + "\" is active for another session");
}

}  // namespace

Status ReplicationSlots::create(const Key& timeline, ReplicationSlot slot) {
  const bool valid_characters = std::all_of(slot.name.begin(), slot.name.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
  });
  if (slot.name.empty() || slot.name.size() > kMaxSlotName || !valid_characters) {
    return Error(ErrorCode::kInvalidArgument,
                 "replication slot name \"" + slot.name +
                     "\" is invalid: use at most 63 lower case letters, numbers and underscores");
  }
  const auto [it, inserted] = slots_.try_emplace({timeline, slot.name}, slot);
  if (!inserted) {
    return Error(ErrorCode::kAlreadyExists,
                 "replication slot \"" + slot.name + "\" already exists");
  }
  return {};
}

Status ReplicationSlots::drop(const Key& timeline, const std::string& name) {
  const auto it = slots_.find({timeline, name});
  if (it == slots_.end()) {
    return not_found(name);
  }
  if (it->second.active != 0) {
    return in_use(name);
  }
  slots_.erase(it);
  return {};
}

std::optional<ReplicationSlot> ReplicationSlots::find(const Key& timeline,
                                                      const std::string& name) const {
  const auto it = slots_.find({timeline, name});
  if (it == slots_.end()) {
    return std::nullopt;
  }
  return it->second;
}

Status ReplicationSlots::acquire(const Key& timeline, const std::string& name,
                                 std::uint64_t session) {
  const auto it = slots_.find({timeline, name});
  if (it == slots_.end()) {
    return not_found(name);
  }
  if (it->second.active != 0 && it->second.active != session) {
    return in_use(name);
  }
  it->second.active = session;
  return {};
}

void ReplicationSlots::release(const Key& timeline, const std::string& name,
                               std::uint64_t session) {
  const auto it = slots_.find({timeline, name});
  if (it != slots_.end() && it->second.active == session) {
    it->second.active = 0;
  }
}

void ReplicationSlots::advance(const Key& timeline, const std::string& name,
                               consensus::Lsn flushed) {
  const auto it = slots_.find({timeline, name});
  if (it != slots_.end()) {
    it->second.restart_lsn = std::max(it->second.restart_lsn, flushed);
  }
}

void ReplicationSlots::session_ended(std::uint64_t session) {
  std::erase_if(slots_, [session](const auto& entry) {
    return entry.second.temporary && entry.second.owner == session;
  });
  for (auto& [key, slot] : slots_) {
    if (slot.active == session) {
      slot.active = 0;
    }
  }
}

}  // namespace sk::walsender
