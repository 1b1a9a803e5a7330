// MemoryControlStore: the in-memory twin of LmdbControlStore, for tests of the layers above.
// Stores the same encoded records (so a state that cannot be encoded fails the same way) and can
// be told to fail: the next saves with an error (ENOSPC or EIO as the real store reports them),
// or a stored record corrupted in place, as a flipped bit on disk would be.
#pragma once

#include <map>
#include <string>

#include "safekeeper/storage/control_store.h"

namespace sk::storage {

class MemoryControlStore final : public ControlStore {
 public:
  Status save(const consensus::AcceptorState& state) override;
  Result<std::optional<consensus::AcceptorState>> load(const TimelineKey& key) override;
  Result<std::vector<TimelineKey>> list() override;
  Status erase(const TimelineKey& key) override;

  // Every save fails with `code` (kNoSpace or kIoError) until clear_faults(); nothing changes.
  void fail_saves(ErrorCode code) { failing_saves_ = code; }
  void clear_faults() { failing_saves_.reset(); }
  // Flips one bit of the stored record's byte at `offset`. Precondition: the record exists and
  // is longer than `offset`.
  void corrupt_record(const TimelineKey& key, std::size_t offset);

 private:
  std::map<TimelineKey, std::string> records_;
  std::optional<ErrorCode> failing_saves_;
};

}  // namespace sk::storage
