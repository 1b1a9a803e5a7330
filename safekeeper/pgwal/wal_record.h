// A decoded WAL record as the decoder hands it out, and the parsing of its body: block references,
// replication origin, top-level xid and main data (PostgreSQL's DecodeXLogRecord), plus the commit
// timestamp of transaction records. Reads bytes only; knows nothing about pages or streams.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include "consensus/result.h"
#include "consensus/types.h"
#include "safekeeper/pgwal/wal_format.h"

namespace sk::pgwal {

// One complete record whose CRC has been checked.
struct WalRecord {
  consensus::Lsn start_lsn;
  // PostgreSQL's EndRecPtr: the 8-aligned position after the record's last byte, counting the page
  // headers it crossed, which is where the next record starts (after a page header if this is a
  // page boundary). For an XLOG_SWITCH record it is the start of the next segment. This, not
  // start + xl_tot_len, is the LSN a flush or commit position refers to.
  consensus::Lsn end_lsn;
  RecordHeader header;
  // The record reassembled without page headers: header, then body; xl_tot_len bytes. A view into
  // the decoder's buffer, valid only during the callback that receives the record.
  std::span<const std::uint8_t> bytes;

  std::span<const std::uint8_t> body() const { return bytes.subspan(kRecordHeaderSizeBytes); }
  std::uint8_t rmid() const { return header.rmid; }
  // The resource manager's part of xl_info (the WAL machinery's low bits masked off).
  std::uint8_t rmgr_info() const { return header.info & kXlrRmgrInfoMask; }
  bool is_switch() const { return rmid() == kRmgrXlog && rmgr_info() == kXlogSwitch; }
};

struct RelFileNode {
  std::uint32_t tablespace_oid = 0;
  std::uint32_t database_oid = 0;
  std::uint32_t relation_oid = 0;
  friend bool operator==(const RelFileNode&, const RelFileNode&) = default;
};

// A full-page image. When compressed, `bytes` are the compressed form and hole_length_bytes comes
// from the record; otherwise the hole is whatever bytes of the 8 KiB page are not in `bytes`.
struct BlockImage {
  std::uint16_t hole_offset_bytes = 0;
  std::uint16_t hole_length_bytes = 0;
  std::uint8_t info = 0;  // bimg_info: kImageHasHole, kImageApply, kImageCompress*.
  std::span<const std::uint8_t> bytes;

  bool is_compressed() const { return (info & kImageCompressedMask) != 0; }
};

struct BlockReference {
  std::uint8_t id = 0;          // 0..kMaxBlockId, increasing within a record.
  std::uint8_t fork_flags = 0;  // Fork number in the low 4 bits, kBlock* flags above.
  RelFileNode rel;              // Filled from the previous reference when kBlockSameRel is set.
  std::uint32_t block_number = 0;
  std::optional<BlockImage> image;
  std::span<const std::uint8_t> data;  // Empty unless kBlockHasData.

  std::uint8_t fork_number() const { return fork_flags & kBlockForkMask; }
  bool will_init() const { return (fork_flags & kBlockWillInit) != 0; }
};

// The body of a record, its spans pointing into the record's bytes.
struct RecordBody {
  std::vector<BlockReference> blocks;
  std::optional<std::uint16_t> origin;
  std::optional<std::uint32_t> toplevel_xid;
  std::span<const std::uint8_t> main_data;
};

// Splits a record's body into its fragments with PostgreSQL's cross-checks; a kCorruption Error
// names the problem and the record's LSN. A record that passed its CRC yet fails here was written
// wrongly, not torn.
Result<RecordBody> parse_record_body(const WalRecord& record);

// The commit or abort time of an XACT commit, abort, commit-prepared or abort-prepared record:
// microseconds since 2000-01-01 00:00 UTC (PostgreSQL's TimestampTz), the first 8 bytes of the
// main data. nullopt for every other record, and for a body that does not parse.
std::optional<std::int64_t> xact_time_of(const WalRecord& record);

}  // namespace sk::pgwal
