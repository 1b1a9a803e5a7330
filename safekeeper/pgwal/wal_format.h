// PostgreSQL 15's WAL byte format: page and record header layouts, flag and id values, and the
// little-endian helpers that read and write them. Plain data only; the decoder, the generator and
// the record parser build on it. Facts from PostgreSQL's xlog_internal.h, xlogrecord.h, rmgr.h,
// pg_control.h and xact.h (PG15), and docs/REFERENCE section 1.5.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

#include "consensus/check.h"
#include "consensus/types.h"

namespace sk::pgwal {

// WAL layout:
//
//   A segment (a power of two between 1 MiB and 1 GiB, 16 MiB by default) is a run of 8 KiB pages.
//   Every page starts with a page header, 24 bytes, or 40 on the first page of a segment (the
//   "long" header also names the database system and the segment and page sizes). Records follow,
//   each starting 8-byte aligned, and may span any number of pages: a page that begins with the
//   rest of a record has XLP_FIRST_IS_CONTRECORD set and says in xlp_rem_len how many bytes of
//   that record remain (counted from this page on). Even a record's 24-byte header may be cut by a
//   page boundary; only xl_tot_len is always on the first page, since a record starts 8-aligned.
//   Everything is in the host's byte order, which for us is little-endian.
//
//   Record: XLogRecord header (24 bytes) | block headers | main data header | block data... | main
//   data. xl_crc is CRC-32C over the bytes after the header, then over the header up to xl_crc.

// PostgreSQL's XLOG_BLCKSZ: the WAL page size. Also its BLCKSZ, the data page size that full-page
// images describe; both are 8192 in every stock build.
inline constexpr std::uint32_t kWalPageSizeBytes = 8192;
inline constexpr std::uint32_t kDataBlockSizeBytes = 8192;
// MAXALIGN on 64-bit platforms: records start on multiples of this.
inline constexpr std::uint32_t kMaxAlignBytes = 8;

inline constexpr std::uint64_t kMinSegmentSizeBytes = std::uint64_t{1} << 20;
inline constexpr std::uint64_t kMaxSegmentSizeBytes = std::uint64_t{1} << 30;
inline constexpr std::uint64_t kDefaultSegmentSizeBytes = std::uint64_t{16} << 20;

// XLOG_PAGE_MAGIC changes with every major version; a mismatch means the WAL is from another one.
inline constexpr std::uint16_t kPageMagicPg15 = 0xD110;

// xlp_info bits.
inline constexpr std::uint16_t kPageFirstIsContRecord = 0x0001;
inline constexpr std::uint16_t kPageLongHeader = 0x0002;
inline constexpr std::uint16_t kPageBkpRemovable = 0x0004;
// Set on the page where a record that was cut short by a crash would have continued; the
// partial record is abandoned and a new record starts right after the page header.
inline constexpr std::uint16_t kPageFirstIsOverwriteContRecord = 0x0008;
inline constexpr std::uint16_t kPageAllFlags = 0x000F;

inline constexpr std::uint32_t kShortPageHeaderSizeBytes = 24;
inline constexpr std::uint32_t kLongPageHeaderSizeBytes = 40;
inline constexpr std::uint32_t kRecordHeaderSizeBytes = 24;
// Offset of xl_crc in the record header: the CRC covers the header bytes before it.
inline constexpr std::uint32_t kRecordCrcOffsetBytes = 20;
// The largest record we accept. PostgreSQL 15's reader refuses records that would not fit a 1 GiB
// allocation; PG16 made writers stop at 1020 MiB (XLogRecordMaxSize), which we use as the bound.
inline constexpr std::uint32_t kMaxRecordSizeBytes = 1020u * 1024u * 1024u;

// Resource managers (rmgrlist.h order). Ids above the built-in ones are reserved for
// extensions from kMinCustomRmgrId on (PG15's custom WAL resource managers).
inline constexpr std::uint8_t kRmgrXlog = 0;
inline constexpr std::uint8_t kRmgrXact = 1;
inline constexpr std::uint8_t kMaxBuiltinRmgrId = 21;  // LogicalMessage in PG15.
inline constexpr std::uint8_t kMinCustomRmgrId = 128;

constexpr bool is_valid_rmgr_id(std::uint8_t rmid) {
  return rmid <= kMaxBuiltinRmgrId || rmid >= kMinCustomRmgrId;
}

// xl_info: the low 4 bits belong to the WAL machinery, the high 4 to the resource manager.
inline constexpr std::uint8_t kXlrInfoMask = 0x0F;
inline constexpr std::uint8_t kXlrRmgrInfoMask = 0xF0;

// xl_info values of the XLOG resource manager (pg_control.h).
inline constexpr std::uint8_t kXlogCheckpointShutdown = 0x00;
inline constexpr std::uint8_t kXlogCheckpointOnline = 0x10;
inline constexpr std::uint8_t kXlogNoop = 0x20;
inline constexpr std::uint8_t kXlogNextOid = 0x30;
// The rest of the segment after this record is unused; the next record starts the next segment.
inline constexpr std::uint8_t kXlogSwitch = 0x40;
inline constexpr std::uint8_t kXlogBackupEnd = 0x50;
inline constexpr std::uint8_t kXlogParameterChange = 0x60;
// Main data: int64 time, then a 64-byte NUL-padded name.
inline constexpr std::uint8_t kXlogRestorePoint = 0x70;
inline constexpr std::uint8_t kXlogFpwChange = 0x80;
inline constexpr std::uint8_t kXlogEndOfRecovery = 0x90;
inline constexpr std::uint8_t kXlogFpiForHint = 0xA0;
inline constexpr std::uint8_t kXlogFpi = 0xB0;
inline constexpr std::uint8_t kXlogOverwriteContRecord = 0xD0;

// xl_info values of the XACT resource manager (xact.h): the opcode is info & kXactOpMask.
inline constexpr std::uint8_t kXactOpMask = 0x70;
inline constexpr std::uint8_t kXactCommit = 0x00;
inline constexpr std::uint8_t kXactPrepare = 0x10;
inline constexpr std::uint8_t kXactAbort = 0x20;
inline constexpr std::uint8_t kXactCommitPrepared = 0x30;
inline constexpr std::uint8_t kXactAbortPrepared = 0x40;
inline constexpr std::uint8_t kXactAssignment = 0x50;
inline constexpr std::uint8_t kXactInvalidations = 0x60;
// The main data carries an xinfo word after xact_time.
inline constexpr std::uint8_t kXactHasInfo = 0x80;

// Ids that start each fragment header in a record body (xlogrecord.h). 0..kMaxBlockId are block
// references; the others below.
inline constexpr std::uint8_t kMaxBlockId = 32;
inline constexpr std::uint8_t kBlockIdDataShort = 255;    // Main data, 1-byte length.
inline constexpr std::uint8_t kBlockIdDataLong = 254;     // Main data, 4-byte length.
inline constexpr std::uint8_t kBlockIdOrigin = 253;       // 2-byte replication origin id.
inline constexpr std::uint8_t kBlockIdToplevelXid = 252;  // 4-byte top-level transaction id.

// fork_flags of a block reference: fork number in the low bits, flags in the high.
inline constexpr std::uint8_t kBlockForkMask = 0x0F;
inline constexpr std::uint8_t kBlockHasImage = 0x10;
inline constexpr std::uint8_t kBlockHasData = 0x20;
inline constexpr std::uint8_t kBlockWillInit = 0x40;
// The relation is the previous block reference's; its 12-byte RelFileNode is omitted.
inline constexpr std::uint8_t kBlockSameRel = 0x80;

// bimg_info of a full-page image (PG15 values; PG14 and older differ).
inline constexpr std::uint8_t kImageHasHole = 0x01;
inline constexpr std::uint8_t kImageApply = 0x02;
inline constexpr std::uint8_t kImageCompressPglz = 0x04;
inline constexpr std::uint8_t kImageCompressLz4 = 0x08;
inline constexpr std::uint8_t kImageCompressZstd = 0x10;
inline constexpr std::uint8_t kImageCompressedMask = 0x1C;

inline constexpr std::size_t kBlockHeaderSizeBytes = 4;       // id, fork_flags, u16 data length.
inline constexpr std::size_t kBlockImageHeaderSizeBytes = 5;  // u16 length, u16 hole offset, info.
inline constexpr std::size_t kRelFileNodeSizeBytes = 12;      // Tablespace, database, relation.

constexpr std::uint64_t max_align(std::uint64_t value) {
  return (value + (kMaxAlignBytes - 1)) & ~std::uint64_t{kMaxAlignBytes - 1};
}

// Little-endian loads and stores. Written with shifts so that they are correct on any host; the
// compiler turns them into plain moves on x86.
inline std::uint16_t load_u16(const std::uint8_t* p) {
  return static_cast<std::uint16_t>(p[0] | (p[1] << 8));
}
inline std::uint32_t load_u32(const std::uint8_t* p) {
  return std::uint32_t{p[0]} | (std::uint32_t{p[1]} << 8) | (std::uint32_t{p[2]} << 16) |
         (std::uint32_t{p[3]} << 24);
}
inline std::uint64_t load_u64(const std::uint8_t* p) {
  return std::uint64_t{load_u32(p)} | (std::uint64_t{load_u32(p + 4)} << 32);
}
inline void store_u16(std::uint8_t* p, std::uint16_t value) {
  p[0] = static_cast<std::uint8_t>(value);
  p[1] = static_cast<std::uint8_t>(value >> 8);
}
inline void store_u32(std::uint8_t* p, std::uint32_t value) {
  for (int i = 0; i < 4; ++i) {
    p[i] = static_cast<std::uint8_t>(value >> (8 * i));
  }
}
inline void store_u64(std::uint8_t* p, std::uint64_t value) {
  store_u32(p, static_cast<std::uint32_t>(value));
  store_u32(p + 4, static_cast<std::uint32_t>(value >> 32));
}

// XLogPageHeaderData, and XLogLongPageHeaderData when `info` has kPageLongHeader.
struct PageHeader {
  std::uint16_t magic = kPageMagicPg15;
  std::uint16_t info = 0;
  std::uint32_t pg_timeline_id = 1;
  consensus::Lsn
      page_addr;  // LSN of the page's first byte; a stale value betrays a recycled segment.
  // Bytes of a record continued from the previous page that remain, this page's included.
  std::uint32_t rem_len_bytes = 0;
  // Long header only.
  std::uint64_t system_id = 0;
  std::uint32_t seg_size_bytes = 0;
  std::uint32_t page_size_bytes = 0;

  bool is_long() const { return (info & kPageLongHeader) != 0; }
  std::uint32_t size_bytes() const {
    return is_long() ? kLongPageHeaderSizeBytes : kShortPageHeaderSizeBytes;
  }
  friend bool operator==(const PageHeader&, const PageHeader&) = default;
};

// Writes header.size_bytes() bytes, padding included.
inline void encode_page_header(const PageHeader& header, std::span<std::uint8_t> out) {
  SK_CHECK(out.size() >= header.size_bytes());
  std::uint8_t* p = out.data();
  store_u16(p, header.magic);
  store_u16(p + 2, header.info);
  store_u32(p + 4, header.pg_timeline_id);
  store_u64(p + 8, header.page_addr.value());
  store_u32(p + 16, header.rem_len_bytes);
  store_u32(p + 20, 0);
  if (header.is_long()) {
    store_u64(p + 24, header.system_id);
    store_u32(p + 32, header.seg_size_bytes);
    store_u32(p + 36, header.page_size_bytes);
  }
}

// Reads a short header, and the long fields too when the flag says so and `in` holds them.
inline PageHeader decode_page_header(std::span<const std::uint8_t> in) {
  SK_CHECK(in.size() >= kShortPageHeaderSizeBytes);
  const std::uint8_t* p = in.data();
  PageHeader header;
  header.magic = load_u16(p);
  header.info = load_u16(p + 2);
  header.pg_timeline_id = load_u32(p + 4);
  header.page_addr = consensus::Lsn(load_u64(p + 8));
  header.rem_len_bytes = load_u32(p + 16);
  if (header.is_long() && in.size() >= kLongPageHeaderSizeBytes) {
    header.system_id = load_u64(p + 24);
    header.seg_size_bytes = load_u32(p + 32);
    header.page_size_bytes = load_u32(p + 36);
  }
  return header;
}

// XLogRecord.
struct RecordHeader {
  std::uint32_t tot_len_bytes = 0;  // The whole record, this header included; page headers not.
  std::uint32_t xid = 0;
  consensus::Lsn prev;  // Start of the previous record.
  std::uint8_t info = 0;
  std::uint8_t rmid = 0;
  std::uint32_t crc = 0;
  friend bool operator==(const RecordHeader&, const RecordHeader&) = default;
};

inline void encode_record_header(const RecordHeader& header, std::span<std::uint8_t> out) {
  SK_CHECK(out.size() >= kRecordHeaderSizeBytes);
  std::uint8_t* p = out.data();
  store_u32(p, header.tot_len_bytes);
  store_u32(p + 4, header.xid);
  store_u64(p + 8, header.prev.value());
  p[16] = header.info;
  p[17] = header.rmid;
  store_u16(p + 18, 0);
  store_u32(p + 20, header.crc);
}

inline RecordHeader decode_record_header(std::span<const std::uint8_t> in) {
  SK_CHECK(in.size() >= kRecordHeaderSizeBytes);
  const std::uint8_t* p = in.data();
  RecordHeader header;
  header.tot_len_bytes = load_u32(p);
  header.xid = load_u32(p + 4);
  header.prev = consensus::Lsn(load_u64(p + 8));
  header.info = p[16];
  header.rmid = p[17];
  header.crc = load_u32(p + 20);
  return header;
}

}  // namespace sk::pgwal
