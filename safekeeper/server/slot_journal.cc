// NodeSlotJournal; see slot_journal.h.
#include "safekeeper/server/slot_journal.h"

namespace sk::safekeeper {

Status NodeSlotJournal::saved(const proto::TimelineKey& timeline,
                              const walsender::ReplicationSlot& slot) {
  return store_.save({timeline, slot.name, slot.restart_lsn,
                      slot.last_active_us != 0 ? slot.last_active_us : now_unix_us_()});
}

Status NodeSlotJournal::erased(const proto::TimelineKey& timeline, const std::string& name) {
  return store_.erase(timeline, name);
}

Result<std::vector<std::pair<proto::TimelineKey, walsender::ReplicationSlot>>>
NodeSlotJournal::load() const {
  auto stored = store_.load_all();
  if (!stored) {
    return stored.error();
  }
  std::vector<std::pair<proto::TimelineKey, walsender::ReplicationSlot>> slots;
  for (const storage::StoredSlot& s : *stored) {
    walsender::ReplicationSlot slot;
    slot.name = s.name;
    slot.restart_lsn = s.restart_lsn;
    slot.last_active_us = s.last_active_us;
    slots.emplace_back(s.timeline, std::move(slot));
  }
  return slots;
}

}  // namespace sk::safekeeper
