// LmdbControlStore: ControlStore in the node's LMDB environment, database `control`. Key: the
// tenant id's 16 bytes then the timeline id's 16 bytes (so keys sort by tenant, then timeline);
// value: a control record (control_record.h). Each save is one durable LMDB transaction.
#pragma once

#include "safekeeper/storage/control_store.h"
#include "safekeeper/storage/lmdb_env.h"

namespace sk::storage {

class LmdbControlStore final : public ControlStore {
 public:
  // `env` must outlive the store.
  explicit LmdbControlStore(LmdbEnv& env) : env_(env) {}

  Status save(const consensus::AcceptorState& state) override;
  Result<std::optional<consensus::AcceptorState>> load(const TimelineKey& key) override;
  Result<std::vector<TimelineKey>> list() override;
  Status erase(const TimelineKey& key) override;

 private:
  LmdbEnv& env_;
};

}  // namespace sk::storage
