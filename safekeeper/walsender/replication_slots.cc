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
  touch(slot);
  if (slots_.contains({timeline, slot.name})) {
    return Error(ErrorCode::kAlreadyExists,
                 "replication slot \"" + slot.name + "\" already exists");
  }
  if (!slot.temporary && journal_ != nullptr) {
    if (Status kept = journal_->saved(timeline, slot); !kept) {
      return kept;
    }
  }
  auto key = std::pair(timeline, slot.name);
  const consensus::Lsn journaled = slot.restart_lsn;
  slots_.emplace(std::move(key), Kept{std::move(slot), journaled});
  return {};
}

void ReplicationSlots::restore(const Key& timeline, ReplicationSlot slot) {
  const consensus::Lsn journaled = slot.restart_lsn;
  std::string name = slot.name;
  slots_.insert_or_assign(std::pair(timeline, std::move(name)), Kept{std::move(slot), journaled});
}

std::vector<ReplicationSlot> ReplicationSlots::of_timeline(const Key& timeline) const {
  std::vector<ReplicationSlot> out;
  for (const auto& [key, kept] : slots_) {
    if (key.first == timeline) {
      out.push_back(kept.slot);
    }
  }
  return out;
}

void ReplicationSlots::journal_progress(const Key& timeline, Kept& kept, bool always) {
  const ReplicationSlot& slot = kept.slot;
  if (slot.temporary || journal_ == nullptr || slot.restart_lsn <= kept.journaled_lsn ||
      (!always && slot.restart_lsn.bytes_since(kept.journaled_lsn) < kJournalEveryBytes)) {
    return;
  }
  if (journal_->saved(timeline, slot)) {
    kept.journaled_lsn = slot.restart_lsn;
  }
}

Status ReplicationSlots::drop(const Key& timeline, const std::string& name) {
  const auto it = slots_.find({timeline, name});
  if (it == slots_.end()) {
    return not_found(name);
  }
  if (it->second.slot.active != 0) {
    return in_use(name);
  }
  if (!it->second.slot.temporary && journal_ != nullptr) {
    if (Status erased = journal_->erased(timeline, name); !erased) {
      return erased;
    }
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
  return it->second.slot;
}

Status ReplicationSlots::acquire(const Key& timeline, const std::string& name,
                                 std::uint64_t session) {
  const auto it = slots_.find({timeline, name});
  if (it == slots_.end()) {
    return not_found(name);
  }
  if (it->second.slot.active != 0 && it->second.slot.active != session) {
    return in_use(name);
  }
  it->second.slot.active = session;
  touch(it->second.slot);
  return {};
}

void ReplicationSlots::release(const Key& timeline, const std::string& name,
                               std::uint64_t session) {
  const auto it = slots_.find({timeline, name});
  if (it != slots_.end() && it->second.slot.active == session) {
    it->second.slot.active = 0;
    touch(it->second.slot);
    journal_progress(timeline, it->second, true);
  }
}

void ReplicationSlots::advance(const Key& timeline, const std::string& name,
                               consensus::Lsn flushed) {
  const auto it = slots_.find({timeline, name});
  if (it != slots_.end()) {
    it->second.slot.restart_lsn = std::max(it->second.slot.restart_lsn, flushed);
    touch(it->second.slot);
    journal_progress(timeline, it->second, false);
  }
}

void ReplicationSlots::session_ended(std::uint64_t session) {
  std::erase_if(slots_, [session](const auto& entry) {
    return entry.second.slot.temporary && entry.second.slot.owner == session;
  });
  for (auto& [key, kept] : slots_) {
    if (kept.slot.active == session) {
      kept.slot.active = 0;
      touch(kept.slot);
      journal_progress(key.first, kept, true);
    }
  }
}

void ReplicationSlots::touch(ReplicationSlot& slot) const {
  if (clock_) {
    slot.last_active_us = clock_();
  }
}

std::vector<std::pair<ReplicationSlots::Key, std::string>> ReplicationSlots::drop_inactive(
    std::int64_t limit_us) {
  std::vector<std::pair<Key, std::string>> dropped;
  if (!clock_) {
    return dropped;
  }
  const std::int64_t now = clock_();
  for (auto it = slots_.begin(); it != slots_.end();) {
    const ReplicationSlot& slot = it->second.slot;
    const bool idle = !slot.temporary && slot.active == 0 && now - slot.last_active_us > limit_us;
    if (idle && (journal_ == nullptr || journal_->erased(it->first.first, slot.name))) {
      dropped.push_back(it->first);
      it = slots_.erase(it);
    } else {
      ++it;
    }
  }
  return dropped;
}

}  // namespace sk::walsender
