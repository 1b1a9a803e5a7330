// Where the first record starts in WAL read from a page boundary. A timeline that begins at a
// segment start (the walproposer starts at the segment of the primary's restart point) may begin
// with the tail of a record continued from the previous segment; a decoder must start after it.
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
