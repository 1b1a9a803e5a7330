// NodeSlotJournal: the replication port's slots kept in the node's SlotStore (LMDB), so that they
// survive a restart (walsender/replication_slots.h says when each is written). Also reads them
// back at start-up. Replication port's thread only.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "safekeeper/storage/slot_store.h"
#include "safekeeper/walsender/replication_slots.h"

namespace sk::safekeeper {

class NodeSlotJournal final : public walsender::SlotJournal {
 public:
  // `now_unix_us` stamps each save as the slot's last use.
  NodeSlotJournal(storage::SlotStore& store, std::function<std::int64_t()> now_unix_us)
      : store_(store), now_unix_us_(std::move(now_unix_us)) {}

  Status saved(const proto::TimelineKey& timeline, const walsender::ReplicationSlot& slot) override;
  Status erased(const proto::TimelineKey& timeline, const std::string& name) override;

  // The slots kept before this start.
  Result<std::vector<std::pair<proto::TimelineKey, walsender::ReplicationSlot>>> load() const;

 private:
  storage::SlotStore& store_;
  std::function<std::int64_t()> now_unix_us_;
};

}  // namespace sk::safekeeper
