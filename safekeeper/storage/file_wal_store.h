// FileWalStore: a timeline's WAL in one directory of segment files, one per PostgreSQL segment
// (`000000010000000000000001.frames`: the segment's PostgreSQL name, our framing). A file holds
// the frames (wal_frame.h) whose WAL lies in its segment's LSN range; files are created
// zero-filled to the segment size (written, not sparse) and made durable by name before use,
// so an fdatasync after an append flushes data only. Creating a file costs a 16 MiB write and
// two syncs (tens of milliseconds), so the next segment's file is made in the background as soon
// as a segment is first written, and the append path finds it ready: one spare file at most.
//
// With a DiskReserve (disk_reserve.h), appends and segment creations are refused with kNoSpace
// while the file system's free space is below the reserve, and no spare is made ahead.
//
// Start-up (open) replays the frames in LSN order and finds the exact end of what was synced:
// the end of the last frame that checks out. Whatever follows it (a frame torn by a crash, or
// damaged) is reported, zeroed and never used; files beyond the end (left by an interrupted
// truncation) are removed and reported. docs/FORMATS.md lists what each crash point leaves.
//
// Whole segments below a removal horizon are removed on request (remove_below): the store's first
// held LSN is recorded durably in `retained.from` first, then the files go, oldest first. Start-up
// replays from that record and removes what a crash left below it.
#pragma once

#include <filesystem>
#include <future>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "safekeeper/storage/disk_reserve.h"
#include "safekeeper/storage/wal_file_map.h"
#include "safekeeper/storage/wal_store.h"

namespace sk::storage {

// What open() found and did, for the log.
struct WalRecoveryReport {
  consensus::Lsn end_lsn;    // The recovered end (the flush LSN).
  std::size_t segments = 0;  // Segment files in the log.
  // Set when the last file held bytes after its last valid frame: which file, at which offset,
  // and why they do not check out. They were zeroed.
  struct Cut {
    std::string file;
    std::uint64_t offset = 0;
    std::string why;
  };
  std::optional<Cut> cut;
  // Beyond the end, or unfinished creations. A complete empty file just past the end (the spare
  // made ahead) is kept, and other empty ones beyond the end go unreported: they held nothing.
  std::vector<std::string> removed_files;
};

class FileWalStore final : public WalStore {
 public:
  struct Opened {
    std::unique_ptr<FileWalStore> store;
    WalRecoveryReport report;
  };
  // Opens (creating if needed) the WAL in `dir` of a timeline that starts at `start_lsn`, with
  // `seg_size_bytes` segments. kCorruption when a file's frames contradict each other in a way a
  // crash cannot produce (a frame outside its segment); kIoError/kNoSpace from the file system.
  // `reserve`, if any, must outlive the store.
  static Result<Opened> open(const std::filesystem::path& dir, consensus::Lsn start_lsn,
                             std::uint64_t seg_size_bytes, DiskReserve* reserve = nullptr);
  ~FileWalStore() override;
  FileWalStore(const FileWalStore&) = delete;
  FileWalStore& operator=(const FileWalStore&) = delete;

  consensus::Lsn start_lsn() const override { return start_lsn_; }
  // The first LSN still held: start_lsn() until remove_below() took segments.
  consensus::Lsn first_held_lsn() const { return first_held_lsn_; }
  consensus::Lsn end_lsn() const override { return end_lsn_; }
  consensus::Lsn flush_lsn() const override { return flush_lsn_; }
  Status append(consensus::Lsn begin, std::span<const std::uint8_t> bytes) override;
  Status sync() override;
  Status record_positions(WalPositions positions) override;
  std::optional<WalPositions> positions() const override { return positions_; }
  Status truncate(consensus::Lsn at) override;
  Result<std::vector<std::uint8_t>> read(consensus::Lsn begin, consensus::Lsn end) const override;
  std::shared_ptr<const DurableWalReader> durable_reader() const override { return files_; }

  // Removes every segment wholly below `horizon` (at most the flush LSN), except the one holding
  // the log's last byte, where the latest positions are recorded. Readers of a removed range get
  // kNotFound (wal_file_map.h). Returns how many segments went.
  Result<std::size_t> remove_below(consensus::Lsn horizon);

  // What the segment files take on disk: each is written to its full size when made (the one
  // being made in the background included).
  std::uint64_t bytes_on_disk() const;

  // The segment file holding `segno`, for tests and tools.
  std::filesystem::path segment_path(std::uint64_t segno) const;

  // A failed fdatasync made this store refuse everything; only a restart (recovery from disk,
  // not from the page cache) may open these files again.
  bool sync_failed() const { return failed_.has_value(); }

 private:
  // A segment file's writing state; where its WAL bytes lie is in files_.
  struct Segment {
    std::uint64_t write_offset = 0;  // Where the next frame goes.
    int fd = -1;                     // Open while the segment is being written.
    bool dirty = false;              // Written since the last fdatasync.
  };

  FileWalStore(std::filesystem::path dir, consensus::Lsn start_lsn, std::uint64_t seg_size_bytes,
               DiskReserve* reserve);
  Status recover(WalRecoveryReport& report);
  Status recover_segment(std::uint64_t segno, WalRecoveryReport& report);
  Result<Segment*> writable_segment(std::uint64_t segno);
  // Where segment `segno`'s file is made before it is renamed into place.
  std::filesystem::path creating_path(std::uint64_t segno) const;
  Status create_segment_file(std::uint64_t segno);
  // Starts making the file of segment `segno` in the background, unless it exists or another is
  // being made.
  void prepare_segment(std::uint64_t segno);
  // Waits for the background creation, if any; a file it made joins segments_ (empty).
  void finish_preparation();
  Status write_frames(std::uint64_t segno, Segment& segment,
                      const std::vector<std::uint8_t>& frames);
  // Writes a positions frame in the segment holding the log's last byte (or its first segment).
  Status write_positions(WalPositions positions);
  Status sync_directory();
  Status refuse_if_failed() const;
  std::filesystem::path retained_from_path() const;
  // Reads `retained.from` into first_held_lsn_ (absent: nothing was ever removed).
  Status load_retained_from();
  Status save_retained_from(consensus::Lsn first_held);
  void close_segment(Segment& segment);

  std::filesystem::path dir_;
  consensus::Lsn start_lsn_;
  consensus::Lsn first_held_lsn_;  // See first_held_lsn().
  std::uint64_t seg_size_bytes_;
  DiskReserve* reserve_;  // Not owned; may be null (no reserve kept).
  consensus::Lsn end_lsn_;
  consensus::Lsn flush_lsn_;
  std::map<std::uint64_t, Segment> segments_;
  // Where each WAL byte lies, shared with readers on other threads (durable_reader()).
  std::shared_ptr<WalFileMap> files_;
  std::optional<WalPositions> positions_;          // Synced.
  std::optional<WalPositions> pending_positions_;  // Recorded, not yet synced.
  // Set by a failed fdatasync: nothing is accepted afterwards.
  std::optional<std::string> failed_;
  // The segment file being made in the background, and how that ends. Last member: destroying
  // the future waits for the thread, which touches no member.
  struct Preparation {
    std::uint64_t segno = 0;
    std::future<Status> done;
  };
  std::optional<Preparation> preparation_;
};

}  // namespace sk::storage
