// WalDecoder: a streaming reader of PostgreSQL 15's WAL byte stream. Fed bytes in any chunking from
// a record boundary on, it checks page headers, reassembles records across pages, checks each
// record's header and CRC, hands out every valid record, and stops at the first invalid byte saying
// why and where. Used to find the end of valid WAL at start-up and to index commit timestamps.
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "consensus/result.h"
#include "consensus/types.h"
#include "safekeeper/pgwal/wal_format.h"
#include "safekeeper/pgwal/wal_record.h"

namespace sk::pgwal {

struct WalDecoderOptions {
  std::uint64_t seg_size_bytes = kDefaultSegmentSizeBytes;
  // When set, long page headers must carry this database system identifier.
  std::optional<std::uint64_t> system_id;
  // When set, every page must carry this PostgreSQL timeline. Otherwise timelines may only grow
  // from page to page, as PostgreSQL checks.
  std::optional<std::uint32_t> pg_timeline_id;
  // Start of the record before the start position, when known: the first record's xl_prev must
  // equal it. When unknown, the first record's xl_prev need only lie before it (PostgreSQL's rule
  // for reading from an arbitrary position); later records always link to their predecessor.
  std::optional<consensus::Lsn> prev_record_lsn;
  // Larger xl_tot_len values are corruption. Bounds the memory a record can take.
  std::uint32_t max_record_size_bytes = kMaxRecordSizeBytes;
};

// Invariants: position() only grows, by exactly the bytes fed until the decoder stops; once
// stopped, the decoder never changes again. end_of_valid_wal() can be ahead of position() by the
// alignment padding after the last record, or up to the next segment after an XLOG_SWITCH, when
// those padding bytes have not been fed yet.
//
// What a stop means for a caller cutting WAL at start-up: end_of_valid_wal() is where the last
// complete valid record ends, the only safe cut point. kEndOfWal (zeros where a page or record
// header should be) is the normal end of written WAL. kCorruption is everything else (bad CRC,
// impossible header, page from another position or system); beyond the last durably flushed
// position it is a torn write to cut away, before it real corruption to report. Running out of
// input is not a stop: in_record() then tells whether a record was cut short.
class WalDecoder {
 public:
  enum class State : std::uint8_t { kDecoding, kEndOfWal, kCorruption };

  struct Stop {
    State state = State::kDecoding;
    // Where the offending bytes begin: the page start for page header problems, the record start
    // for record problems (a failed CRC included).
    consensus::Lsn lsn;
    std::string reason;
  };

  // Receives each valid record; the record's bytes are valid only during the call.
  using RecordCallback = std::function<void(const WalRecord&)>;

  // `start_lsn` must be a record boundary: 8-aligned and not inside a page header. A page start is
  // fine; its header is then checked and skipped, and a continued record there is corruption.
  static Result<WalDecoder> create(consensus::Lsn start_lsn, const WalDecoderOptions& options);

  // Decodes `bytes`, which continue the stream at position(), calling `on_record` for each record
  // completed. After a stop the rest of `bytes`, and any later feed, is ignored.
  void feed(std::span<const std::uint8_t> bytes, const RecordCallback& on_record);

  State state() const { return stop_ ? stop_->state : State::kDecoding; }
  const std::optional<Stop>& stop() const { return stop_; }
  // LSN of the next byte feed() expects (until a stop).
  consensus::Lsn position() const { return position_; }
  // End (WalRecord::end_lsn) of the last valid record, or the start LSN before the first.
  consensus::Lsn end_of_valid_wal() const { return end_of_valid_wal_; }
  // Start of the last valid record, the value the next record's xl_prev must have.
  std::optional<consensus::Lsn> last_record_lsn() const { return prev_record_lsn_; }
  // True when part of a record has been received but not all of it.
  bool in_record() const { return !record_.empty(); }

 private:
  // What the next bytes are.
  enum class Phase : std::uint8_t { kPageHeader, kRecordHeader, kRecordBody, kSkip };

  explicit WalDecoder(consensus::Lsn start_lsn, const WalDecoderOptions& options);

  std::size_t consume_page_header(std::span<const std::uint8_t> bytes);
  std::size_t consume_record_header(std::span<const std::uint8_t> bytes,
                                    const RecordCallback& on_record);
  std::size_t consume_record_body(std::span<const std::uint8_t> bytes,
                                  const RecordCallback& on_record);
  std::size_t consume_skip(std::span<const std::uint8_t> bytes);

  // Appends up to `wanted` bytes, never past the end of the current page; returns how many.
  std::size_t append_to_record(std::span<const std::uint8_t> bytes, std::size_t wanted);
  void begin_page_header(Phase resume);
  void begin_next_record();
  bool check_page_header(consensus::Lsn page_lsn, std::uint32_t header_size_bytes);
  bool check_record_length();
  bool check_record_header();
  void complete_record(const RecordCallback& on_record);
  void halt(State state, consensus::Lsn lsn, std::string reason);
  std::uint64_t bytes_left_in_page() const;

  WalDecoderOptions options_;
  consensus::Lsn position_;
  consensus::Lsn end_of_valid_wal_;
  std::optional<consensus::Lsn> prev_record_lsn_;
  std::optional<Stop> stop_;

  Phase phase_ = Phase::kRecordHeader;
  Phase resume_phase_ = Phase::kRecordHeader;  // Phase after the page header being read.

  std::array<std::uint8_t, kLongPageHeaderSizeBytes> page_header_{};
  std::uint32_t page_header_received_bytes_ = 0;
  std::uint32_t latest_page_tli_ = 0;

  // The record being assembled, page headers removed. Empty between records.
  std::vector<std::uint8_t> record_;
  consensus::Lsn record_start_;
  // xl_tot_len once the part of the header on the record's first page has been checked; 0 before.
  std::uint32_t record_length_bytes_ = 0;

  consensus::Lsn skip_until_;  // In kSkip: where the next record starts.
};

}  // namespace sk::pgwal
