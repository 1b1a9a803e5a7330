// Record boundaries in WAL read from a page boundary. Where the first record starts: A timeline
// that begins at a segment start (the walproposer starts at the segment of the primary's restart
// point) may begin with the tail of a record continued from the previous segment; a decoder must
// start after it.
#pragma once

#include <cstdint>
#include <optional>
#include <span>

#include "consensus/result.h"
#include "consensus/types.h"

namespace sk::pgwal {

// `bytes` is WAL from `page_lsn`, a page boundary. Follows continuation headers
// (XLP_FIRST_IS_CONTRECORD, xlp_rem_len) across pages to the first record boundary. nullopt when
// `bytes` ends before it is known; kCorruption for a page header that does not parse.
std::optional<Result<consensus::Lsn>> first_record_start(std::span<const std::uint8_t> bytes,
                                                         consensus::Lsn page_lsn,
                                                         std::uint64_t seg_size_bytes);

}  // namespace sk::pgwal

namespace sk::pgwal {

// The page holding the byte before `lsn`: where WAL must be read from to tell whether `lsn` is a
// record boundary (a record ending exactly at a page's end ends at the next page's start).
consensus::Lsn boundary_check_page(consensus::Lsn lsn);

// Whether a record ends at `target` (or the first record of the page begins there): a point
// where PostgreSQL's recovery can stop and a new primary continue the log. `bytes` is WAL from
// `page_lsn` (boundary_check_page(target)) to at least `target`, and one page more when there is
// one. kCorruption when the WAL before `target` does not decode.
Result<bool> is_record_boundary(std::span<const std::uint8_t> bytes, consensus::Lsn page_lsn,
                                consensus::Lsn target, std::uint64_t seg_size_bytes);

}  // namespace sk::pgwal
