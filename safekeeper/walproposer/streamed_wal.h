// StreamedWal: the walproposer's WAL source. Holds the WAL the primary streamed (XLogData chunks,
// cut anywhere) from a record boundary on, decodes it as it arrives, and hands the proposer
// whole records only: every append, and so every flush and commit LSN the safekeepers report,
// ends on a record boundary, where a new primary can continue the log (NEON_NOTES 1.9, #549).
// A record that is not complete yet stays here until its last byte arrives.
//
// Pure: no I/O. The buffer is bounded by the caller (it stops reading from PostgreSQL while
// buffered_bytes() is high), so a quorum that does not acknowledge pushes back on the primary.
#pragma once

#include <cstdint>
#include <deque>
#include <span>
#include <vector>

#include "consensus/result.h"
#include "consensus/types.h"
#include "safekeeper/pgwal/wal_decoder.h"

namespace sk::walproposer {

class StreamedWal {
 public:
  // WAL will arrive from `start`, which must be a record boundary.
  static Result<StreamedWal> create(consensus::Lsn start, const pgwal::WalDecoderOptions& options);

  // WAL the primary sent, starting at `at`. Bytes already held (a resent overlap after a
  // reconnection) are skipped. kInvalidArgument for a gap; kCorruption when the bytes do not
  // decode as PostgreSQL WAL (nothing after that point is ever handed out).
  Status add(consensus::Lsn at, std::span<const std::uint8_t> bytes);

  // Whole records from `from` (the end of what was taken before), at most `max_bytes` of them;
  // a first record larger than that comes alone. Empty when no complete record is waiting.
  std::vector<std::uint8_t> take(consensus::Lsn from, std::size_t max_bytes);

  // Where the next streamed byte goes: restart replication from here after a reconnection.
  consensus::Lsn received_end() const { return received_end_; }
  // The end of what take() handed out.
  consensus::Lsn taken_end() const { return taken_end_; }
  // Received and not taken yet.
  std::size_t buffered_bytes() const { return buffer_.size(); }

 private:
  StreamedWal(consensus::Lsn start, pgwal::WalDecoder decoder);

  pgwal::WalDecoder decoder_;
  consensus::Lsn taken_end_;
  consensus::Lsn received_end_;
  std::deque<std::uint8_t> buffer_;         // [taken_end_, received_end_)
  std::deque<consensus::Lsn> record_ends_;  // Ends of complete records past taken_end_, ascending.
};

}  // namespace sk::walproposer
