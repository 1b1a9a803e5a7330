// The framing every record the node keeps in LMDB carries, since LMDB does not checksum its
// pages (docs/FORMATS.md):
//
//   offset  size  field
//   0       4     magic, naming the kind of record ("SKCS" control state, "SKSL" slot)
//   4       4     record version, little-endian
//   8       4     payload length, little-endian
//   12      4     CRC-32C of bytes 0..11 followed by the payload, little-endian
//   16      n     payload
//
// A flipped bit on disk is reported as corruption instead of being read as a valid value.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

#include "consensus/result.h"

namespace sk::storage {

inline constexpr std::size_t kCheckedRecordHeaderBytes = 16;
using RecordMagic = std::array<char, 4>;

std::string frame_record(const RecordMagic& magic, std::uint32_t version, std::string_view payload);

// The payload. `what` names the record in messages ("control record of timeline ...").
//   kCorruption: too short, wrong magic, wrong length or checksum;
//   kFailedPrecondition: a version other than `version` under a valid checksum (a newer build).
Result<std::string_view> unframe_record(const RecordMagic& magic, std::uint32_t version,
                                        std::string_view bytes, const std::string& what);

}  // namespace sk::storage
