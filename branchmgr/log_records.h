// How branch log entries sit in the log's byte stream: each is one record, a 4-byte
// little-endian length followed by the encoded BranchLogEntry. The stream needs no checksum of
// its own: the safekeeper's WAL store frames and checks every batch it writes (FORMATS.md).
// A commit LSN always falls on a record boundary (the writer proposes whole records). A term
// may end inside a record: appends are cut at any byte, and a new proposer continues the log
// from its donor's end, which may be mid-record. Such a torn record was never committed in its
// term, so readers decode each term's part of the log separately and drop a torn tail there.
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

struct DecodedRecords {
  std::vector<DecodedRecord> records;
  // Bytes after the last whole record: a record cut short (by a term switch).
  std::uint64_t torn_tail_bytes = 0;
};

// The records of `bytes`, which start at `begin_lsn` on a record boundary. kCorruption naming
// the LSN for a record that does not decode.
Result<DecodedRecords> decode_records(std::span<const std::uint8_t> bytes,
                                      consensus::Lsn begin_lsn);

}  // namespace sk::branchmgr
