// Control record encoding; see control_record.h for the layout.
#include "safekeeper/storage/control_record.h"

#include "safekeeper/storage/checked_record.h"

namespace sk::storage {
namespace {

constexpr RecordMagic kMagic = {'S', 'K', 'C', 'S'};

std::string what_of(const TimelineKey& key) {
  return "control record of timeline " + timeline_name(key);
}

}  // namespace

std::string timeline_name(const TimelineKey& key) {
  return key.tenant_id.to_hex() + "/" + key.timeline_id.to_hex();
}

std::string encode_control_record(const consensus::AcceptorState& state) {
  return frame_record(kMagic, kControlRecordVersion, proto::encode_acceptor_state(state));
}

Result<consensus::AcceptorState> decode_control_record(const TimelineKey& key,
                                                       std::string_view bytes) {
  auto payload = unframe_record(kMagic, kControlRecordVersion, bytes, what_of(key));
  if (!payload) {
    return payload.error();
  }
  Result<consensus::AcceptorState> state = proto::decode_acceptor_state(*payload);
  if (!state) {
    return Error(state.error().code(), what_of(key) + ": " + state.error().message());
  }
  if (key_of(*state) != key) {
    return Error(ErrorCode::kCorruption, what_of(key) + ": it holds the state of timeline " +
                                             timeline_name(key_of(*state)));
  }
  return state;
}

}  // namespace sk::storage
