// ControlStore: the durable control state (consensus::AcceptorState) of every timeline a node
// hosts, one record per timeline. The acceptor's driver saves the state a Ready asks to persist
// and must not send anything that depends on it before save() returned OK.
//
// Implementations: LmdbControlStore (the real one, in the node's LMDB environment) and
// MemoryControlStore (the in-memory twin for tests of the layers above, with injected faults).
#pragma once

#include <optional>
#include <vector>

#include "consensus/acceptor_state.h"
#include "consensus/result.h"
#include "safekeeper/storage/control_record.h"

namespace sk::storage {

class ControlStore {
 public:
  virtual ~ControlStore() = default;

  // Replaces the timeline's state. Durable when it returns OK; on any error the previous state
  // is what a later load() returns (a save is all or nothing, also across a crash).
  //   kNoSpace: the store or its disk is full; kIoError: anything else the storage reported.
  virtual Status save(const consensus::AcceptorState& state) = 0;
  // The timeline's state, or nullopt if none was ever saved.
  //   kCorruption: the stored record fails its checksum or does not decode (message names the
  //   timeline); kFailedPrecondition: written by a newer format; kIoError.
  virtual Result<std::optional<consensus::AcceptorState>> load(const TimelineKey& key) = 0;
  // Every timeline with a saved state, in key order.
  virtual Result<std::vector<TimelineKey>> list() = 0;
  // Forgets the timeline's state (none is fine); durable when it returns OK.
  virtual Status erase(const TimelineKey& key) = 0;
};

}  // namespace sk::storage
