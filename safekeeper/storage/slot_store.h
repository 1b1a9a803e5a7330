// SlotStore: the replication slots readers made on this node, kept across restarts in the LMDB
// database `slots` (PostgreSQL keeps its slots in pg_replslot for the same reason: a standby
// that comes back resumes where it was, and the WAL it needs is not removed meanwhile).
// Key: the tenant id's 16 bytes, the timeline id's 16 bytes, then the slot's name. Value: a
// checked record (checked_record.h) with magic "SKSL", version 1, payload the restart LSN and
// the time the slot was last used (both 8 bytes, little-endian). Each call is one durable LMDB
// transaction. Temporary slots are never stored.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "consensus/result.h"
#include "consensus/types.h"
#include "safekeeper/storage/control_record.h"
#include "safekeeper/storage/lmdb_env.h"

namespace sk::storage {

struct StoredSlot {
  TimelineKey timeline;
  std::string name;
  consensus::Lsn restart_lsn;
  std::int64_t last_active_us = 0;  // Unix microseconds.
  friend bool operator==(const StoredSlot&, const StoredSlot&) = default;
};

class SlotStore {
 public:
  // `env` must outlive the store.
  explicit SlotStore(LmdbEnv& env) : env_(env) {}

  Status save(const StoredSlot& slot);
  // Absent is fine.
  Status erase(const TimelineKey& timeline, const std::string& name);
  // Every stored slot, by timeline then name. kCorruption naming the slot for a damaged record.
  Result<std::vector<StoredSlot>> load_all() const;

 private:
  LmdbEnv& env_;
};

}  // namespace sk::storage
