// MemoryControlStore; see memory_control_store.h.
#include "safekeeper/storage/memory_control_store.h"

#include "consensus/check.h"

namespace sk::storage {

Status MemoryControlStore::save(const consensus::AcceptorState& state) {
  if (failing_saves_) {
    return Error(*failing_saves_, "injected fault: control state of timeline " +
                                      timeline_name(key_of(state)) + " not saved");
  }
  records_[key_of(state)] = encode_control_record(state);
  return {};
}

Status MemoryControlStore::erase(const TimelineKey& key) {
  records_.erase(key);
  return {};
}

Result<std::optional<consensus::AcceptorState>> MemoryControlStore::load(const TimelineKey& key) {
  auto it = records_.find(key);
  if (it == records_.end()) {
    return std::optional<consensus::AcceptorState>();
  }
  Result<consensus::AcceptorState> state = decode_control_record(key, it->second);
  if (!state) {
    return state.error();
  }
  return std::optional<consensus::AcceptorState>(std::move(*state));
}

Result<std::vector<TimelineKey>> MemoryControlStore::list() {
  std::vector<TimelineKey> keys;
  for (const auto& [key, record] : records_) {
    keys.push_back(key);
  }
  return keys;
}

void MemoryControlStore::corrupt_record(const TimelineKey& key, std::size_t offset) {
  auto it = records_.find(key);
  SK_CHECK(it != records_.end() && offset < it->second.size());
  it->second[offset] = static_cast<char>(it->second[offset] ^ 0x01);
}

}  // namespace sk::storage
