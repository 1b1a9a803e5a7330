// WAL segment arithmetic and PostgreSQL's segment file names ("000000010000000000000003"): which
// segment holds an LSN, where a segment starts, where a record may begin, and the 24-hex-digit
// name of a segment and back.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "consensus/result.h"
#include "consensus/types.h"

namespace sk::pgwal {

// A segment size PostgreSQL accepts: a power of two from 1 MiB to 1 GiB. The functions below take
// this as a precondition (checked), so validate sizes from outside with this first.
bool is_valid_segment_size(std::uint64_t seg_size_bytes);
Status check_segment_size(std::uint64_t seg_size_bytes);
// Where a WAL record may begin: a valid segment size, and a nonzero, 8-byte aligned LSN outside
// every page header (the long one at a segment's start, the short one on other pages).
// kInvalidArgument saying which it is not. Both the decoder and the generator start only there.
Status check_record_start(consensus::Lsn lsn, std::uint64_t seg_size_bytes);

std::uint64_t segment_number(consensus::Lsn lsn, std::uint64_t seg_size_bytes);
consensus::Lsn segment_start(std::uint64_t segno, std::uint64_t seg_size_bytes);
// Offset of `lsn` within its segment.
std::uint64_t segment_offset(consensus::Lsn lsn, std::uint64_t seg_size_bytes);

// Timeline (8 hex digits), then segno split into a "log id" and the segment within it (8 each),
// uppercase, as PostgreSQL's XLogFileName.
std::string segment_file_name(std::uint32_t pg_timeline_id, std::uint64_t segno,
                              std::uint64_t seg_size_bytes);

struct SegmentFileName {
  std::uint32_t pg_timeline_id = 0;
  std::uint64_t segno = 0;
  friend bool operator==(const SegmentFileName&, const SegmentFileName&) = default;
};

// Accepts exactly 24 uppercase hex digits (PostgreSQL's IsXLogFileName rejects lowercase), a
// timeline other than 0, and a segment part below the number of segments per log id. Suffixes
// such as ".partial" are the caller's to strip.
Result<SegmentFileName> parse_segment_file_name(std::string_view name,
                                                std::uint64_t seg_size_bytes);

}  // namespace sk::pgwal
