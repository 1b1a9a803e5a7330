// How branch log entries sit in the log's byte stream: each is one record, a 4-byte
// little-endian length followed by the encoded BranchLogEntry. The stream needs no checksum of
// its own: the safekeeper's WAL store frames and checks every batch it writes (FORMATS.md).
// Each record is proposed on its own, so a commit LSN always falls on a record boundary.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "consensus/result.h"
#include "consensus/types.h"
#include "proto/branch_log_codec.h"

namespace sk::branchmgr {

std::vector<std::uint8_t> encode_record(const proto::BranchLogEntry& entry);

struct DecodedRecord {
  proto::BranchLogEntry entry;
  consensus::Lsn end_lsn;  // Just past the record.
};

// The records of `bytes`, which start at `begin_lsn` on a record boundary and must end on one.
// kCorruption naming the LSN for a record cut short or one that does not decode.
Result<std::vector<DecodedRecord>> decode_records(std::span<const std::uint8_t> bytes,
                                                  consensus::Lsn begin_lsn);

}  // namespace sk::branchmgr
