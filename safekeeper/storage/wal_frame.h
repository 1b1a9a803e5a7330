// The frames a timeline's WAL is stored in (docs/FORMATS.md). Every append is one data frame
// (split at segment boundaries), every truncation one truncate frame, and every change of the
// acceptor's commit and truncate LSN one positions frame (durable with the WAL's fdatasync, so
// they cost no control-store commit); each has its own CRC-32C, so start-up finds the exact end of
// what was synced: the end of the last frame that checks out. The acknowledged flush LSN can fall
// inside a PostgreSQL record (appends are byte ranges), which a scan for valid records could not
// recover.
//
//   offset  size  field
//   0       4     magic "SKWF"
//   4       2     frame version, little-endian (1)
//   6       2     kind: 1 data, 2 truncate, 3 positions
//   8       8     LSN: where the data begins; for a truncate frame, where the log now ends; for
//                 a positions frame, the commit LSN
//   16      4     data length n (0 for a truncate frame, 8 for a positions frame)
//   20      4     CRC-32C of bytes 0..19 followed by the data
//   24      n     data: the WAL bytes [LSN, LSN + n); for a positions frame the truncate LSN,
//                 8 bytes little-endian
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "consensus/types.h"

namespace sk::storage {

inline constexpr std::size_t kWalFrameHeaderBytes = 24;
inline constexpr std::uint16_t kWalFrameVersion = 1;

enum class WalFrameKind : std::uint16_t { kData = 1, kTruncate = 2, kPositions = 3 };

// Appends an encoded frame to `out`.
void append_data_frame(consensus::Lsn begin, std::span<const std::uint8_t> data,
                       std::vector<std::uint8_t>& out);
void append_truncate_frame(consensus::Lsn end, std::vector<std::uint8_t>& out);
void append_positions_frame(consensus::Lsn commit_lsn, consensus::Lsn truncate_lsn,
                            std::vector<std::uint8_t>& out);

struct WalFrame {
  WalFrameKind kind;
  consensus::Lsn lsn;
  consensus::Lsn truncate_lsn;  // A positions frame's.
  std::span<const std::uint8_t> data;
  std::size_t size_bytes;  // Header and data.
};

// What lies at the start of `bytes`.
struct WalFrameScan {
  enum class Outcome : std::uint8_t {
    kFrame,  // `frame` is valid.
    kEnd,    // Zeros (the preallocated rest of a file) or nothing: the clean end.
    kTorn,   // Anything else: a frame cut short by a crash, or damaged. `why` says which.
  };
  Outcome outcome;
  WalFrame frame{};
  std::string why;
};
WalFrameScan scan_wal_frame(std::span<const std::uint8_t> bytes);

}  // namespace sk::storage
