// WalGenerator: writes a valid PostgreSQL 15 WAL byte stream (page headers, continuation headers,
// xl_prev chain, CRCs) from a record boundary on. For tests, for the load generator sk-loadgen,
// and for exercising the commit-timestamp index; it does not model what any record means beyond
// the few record kinds it offers.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "consensus/result.h"
#include "consensus/types.h"
#include "safekeeper/pgwal/wal_format.h"

namespace sk::pgwal {

struct WalGeneratorOptions {
  std::uint64_t seg_size_bytes = kDefaultSegmentSizeBytes;
  std::uint64_t system_id = 7300000000000000001ull;  // Written into every long page header.
  std::uint32_t pg_timeline_id = 1;
  // xl_prev of the first record: the record before the start position, or 0/0 when WAL begins
  // there.
  consensus::Lsn prev_record_lsn;
  // PostgreSQL sets XLP_BKP_REMOVABLE on pages written while no base backup is running.
  bool bkp_removable = true;
};

struct GeneratedRecord {
  consensus::Lsn start_lsn;
  consensus::Lsn end_lsn;  // As WalRecord::end_lsn: 8-aligned, the next segment after a switch.
};

// Invariant: bytes() always ends at position(), the end of the last record (after its alignment
// padding), so every prefix of the stream that ends there is complete WAL. A page header is
// written only when a record needs the page, so a stream can end exactly at a page boundary.
class WalGenerator {
 public:
  // `start_lsn` must be a record boundary: 8-aligned, not inside a page header, not 0/0.
  static Result<WalGenerator> create(consensus::Lsn start_lsn, const WalGeneratorOptions& options);

  // A record whose body is just `main_data` (no block references).
  GeneratedRecord append_record(std::uint8_t rmid, std::uint8_t info, std::uint32_t xid,
                                std::span<const std::uint8_t> main_data);
  // A record with a caller-built body (block references, origin, main data header...).
  GeneratedRecord append_record_with_body(std::uint8_t rmid, std::uint8_t info, std::uint32_t xid,
                                          std::span<const std::uint8_t> body);
  // An XLOG NOOP record with `main_data_bytes` of filler, for load of a chosen size.
  GeneratedRecord append_noop(std::size_t main_data_bytes);
  // An XACT COMMIT record as PostgreSQL writes for a transaction with nothing else to report:
  // main data is just xact_time (microseconds since 2000-01-01 UTC).
  GeneratedRecord append_commit(std::uint32_t xid, std::int64_t xact_time_us);
  // An XLOG SWITCH record; the rest of the segment becomes padding pages.
  GeneratedRecord append_switch();

  consensus::Lsn position() const { return position_; }
  // Start of the last record written, or the configured previous record before the first.
  consensus::Lsn last_record_lsn() const { return prev_record_lsn_; }
  // LSN of bytes()[0].
  consensus::Lsn bytes_start_lsn() const { return bytes_start_lsn_; }
  const std::vector<std::uint8_t>& bytes() const { return bytes_; }
  // Hands over the bytes written so far; the next bytes start at position().
  std::vector<std::uint8_t> take_bytes();

 private:
  WalGenerator(consensus::Lsn start_lsn, const WalGeneratorOptions& options);

  void write_page_header(std::uint32_t continued_bytes);
  void write_zeros(std::uint64_t count);
  std::uint64_t bytes_left_in_page() const;

  WalGeneratorOptions options_;
  consensus::Lsn position_;
  consensus::Lsn prev_record_lsn_;
  consensus::Lsn bytes_start_lsn_;
  std::vector<std::uint8_t> bytes_;
  std::vector<std::uint8_t> record_;  // Scratch space for the record being built.
  std::uint64_t records_written_ = 0;
};

}  // namespace sk::pgwal
