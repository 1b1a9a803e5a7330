// WalFileMap: where each byte of a timeline's WAL lies in its segment files (which file, at which
// offset past which frame header). FileWalStore keeps it up to date as it appends, truncates and
// recovers, on its one thread; readers on other threads share it (DurableWalReader) and read
// with pread on file descriptors of their own, so a read never touches the store's state beyond
// copying, under the map's mutex, the few extents its range covers.
//
// Why a segment's bytes at a recorded offset stay valid while a reader uses them: a file is
// written at increasing offsets only (new frames follow the old ones; a truncation appends a
// truncate frame instead of rewriting), and a file is removed only by a truncation, which never
// cuts below the commit LSN (durable_wal_reader.h), or by WAL removal, which takes whole segments
// below the removal horizon: a read that already opened such a file finishes from it (an unlinked
// file lives on while open), and one that had not yet is told the WAL was removed. Start-up after
// a failure zeroes only what follows the last valid frame, above the flush LSN.
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <mutex>
#include <string_view>
#include <vector>

#include "safekeeper/storage/durable_wal_reader.h"

namespace sk::storage {

// Our WAL is PostgreSQL timeline 1 always (branches are our timelines, not PostgreSQL's).
inline constexpr std::uint32_t kWalPgTimeline = 1;
inline constexpr std::string_view kSegmentFileSuffix = ".frames";

class WalFileMap final : public DurableWalReader {
 public:
  // WAL bytes [lsn, lsn + length) stored at `file_offset` of their segment's file.
  struct Extent {
    consensus::Lsn lsn;
    std::uint64_t file_offset = 0;
    std::uint64_t length = 0;
  };

  WalFileMap(std::filesystem::path dir, std::uint64_t seg_size_bytes)
      : dir_(std::move(dir)), seg_size_bytes_(seg_size_bytes) {}

  // The segment file holding `segno`: `<PostgreSQL segment name>.frames`.
  std::filesystem::path segment_path(std::uint64_t segno) const;

  // The writer's side (the store's thread). `extent` continues the log where it ends and lies
  // within segment `segno`.
  void add(std::uint64_t segno, Extent extent);
  // Forgets every byte at and after `at`.
  void cut(consensus::Lsn at);
  // Forgets the segments below `segno`, whose files are about to be removed; reads of them are
  // then refused with kNotFound, saying so.
  void forget_below(std::uint64_t segno);

  // Any thread; see DurableWalReader. Opens each segment file it needs read-only for this call.
  Status read(consensus::Lsn begin, std::span<std::uint8_t> out) const override;

 private:
  // A piece of a read: `length` bytes at `file_offset` of segment `segno`'s file.
  struct FileRange {
    std::uint64_t segno = 0;
    std::uint64_t file_offset = 0;
    std::uint64_t length = 0;
  };
  // Where [begin, end) lies, or kNotFound for the first byte not held. Takes the mutex.
  Result<std::vector<FileRange>> locate(consensus::Lsn begin, consensus::Lsn end) const;
  // kNotFound for WAL at `at` in a removed segment. Under the mutex.
  Error removed_error(consensus::Lsn at) const;

  const std::filesystem::path dir_;
  const std::uint64_t seg_size_bytes_;
  mutable std::mutex mutex_;
  // Segment number -> its extents in LSN order, contiguous across segments. Guarded by mutex_.
  std::map<std::uint64_t, std::vector<Extent>> segments_;
  std::uint64_t removed_below_ = 0;  // Segments below this were removed. Guarded by mutex_.
};

}  // namespace sk::storage
