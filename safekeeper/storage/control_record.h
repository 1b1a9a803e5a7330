// The stored form of one timeline's control state, as a value in LMDB (docs/FORMATS.md): a
// checked record (checked_record.h) with magic "SKCS", version 1, whose payload is
// proto/control.proto's AcceptorControlState (with its own format_version).
#pragma once

#include <string>
#include <string_view>

#include "consensus/acceptor_state.h"
#include "consensus/result.h"
#include "proto/codec.h"
#include "safekeeper/storage/checked_record.h"

namespace sk::storage {

using proto::TimelineKey;

// The key a state is stored under: its identity's tenant and timeline.
inline TimelineKey key_of(const consensus::AcceptorState& state) {
  return TimelineKey{state.identity.tenant_id, state.identity.timeline_id};
}

inline constexpr std::uint32_t kControlRecordVersion = 1;
inline constexpr std::size_t kControlRecordHeaderBytes = kCheckedRecordHeaderBytes;

std::string encode_control_record(const consensus::AcceptorState& state);

// Decodes the record stored under `key`. Errors name the timeline:
//   kCorruption: too short, wrong magic, wrong length, checksum mismatch, an undecodable payload,
//     or a state whose identity names another timeline than its key;
//   kFailedPrecondition: a record or payload version this build does not know.
Result<consensus::AcceptorState> decode_control_record(const TimelineKey& key,
                                                       std::string_view bytes);

// "tenant/timeline" in hex, for messages.
std::string timeline_name(const TimelineKey& key);

}  // namespace sk::storage
