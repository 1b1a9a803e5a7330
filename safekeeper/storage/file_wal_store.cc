// FileWalStore; see file_wal_store.h and docs/FORMATS.md.
#include "safekeeper/storage/file_wal_store.h"

#include <algorithm>
#include <array>
#include <cerrno>
#include <span>
#include <utility>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "consensus/check.h"
#include "safekeeper/pgwal/segment_name.h"
#include "safekeeper/pgwal/wal_format.h"
#include "safekeeper/storage/checked_record.h"
#include "safekeeper/storage/file_io.h"
#include "safekeeper/storage/wal_frame.h"

namespace sk::storage {
namespace {

namespace fs = std::filesystem;
using consensus::Lsn;

constexpr const char* kCreatingSuffix = ".frames.creating";
constexpr const char* kRetainedFromFile = "retained.from";
constexpr RecordMagic kRetainedFromMagic = {'S', 'K', 'R', 'F'};
constexpr std::uint32_t kRetainedFromVersion = 1;
constexpr std::size_t kZeroChunk = std::size_t{1} << 20;
constexpr std::size_t kWritebackChunk = std::size_t{256} << 10;

Status write_zeros(int fd, std::uint64_t from, std::uint64_t to, const fs::path& path) {
  const std::vector<std::uint8_t> zeros(kZeroChunk, 0);
  for (std::uint64_t at = from; at < to;) {
    const std::size_t n = static_cast<std::size_t>(std::min<std::uint64_t>(kZeroChunk, to - at));
    if (Status s = write_all(fd, zeros.data(), n, at, path); !s) {
      return s;
    }
    at += n;
  }
  return {};
}

Result<std::vector<std::uint8_t>> read_file(const fs::path& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    return io_error("opening", path, errno);
  }
  struct stat st {};
  if (::fstat(fd, &st) != 0) {
    const int err = errno;
    ::close(fd);
    return io_error("examining", path, err);
  }
  std::vector<std::uint8_t> bytes(static_cast<std::size_t>(st.st_size));
  Status status = read_all(fd, bytes.data(), bytes.size(), 0, path);
  ::close(fd);
  if (!status) {
    return status.error();
  }
  return bytes;
}

Status sync_directory(const fs::path& dir) {
  const int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) {
    return io_error("opening", dir, errno);
  }
  const int rc = ::fsync(fd);
  const int err = errno;
  ::close(fd);
  return rc == 0 ? Status{} : io_error("syncing", dir, err);
}

// Zero-filled under a temporary name, synced, then renamed and the directory synced: a crash
// leaves either no file at `path` or a complete empty one. Touches no store state, so that it
// can run on a background thread.
Status create_zeroed_file(const fs::path& dir, const fs::path& path, const fs::path& creating,
                          std::uint64_t size) {
  const int fd = ::open(creating.c_str(), O_CREAT | O_TRUNC | O_WRONLY | O_CLOEXEC, 0600);
  if (fd < 0) {
    return io_error("creating", creating, errno);
  }
  // Written back one chunk at a time (sync_file_range, as PostgreSQL's pg_flush_data does), so
  // that the appends' own fdatasyncs queue behind one chunk at most, never behind the file.
  Status status;
  for (std::uint64_t at = 0; status && at < size; at += kWritebackChunk) {
    const std::uint64_t end = std::min(size, at + kWritebackChunk);
    status = write_zeros(fd, at, end, creating);
    if (status && ::sync_file_range(fd, static_cast<off_t>(at), static_cast<off_t>(end - at),
                                    SYNC_FILE_RANGE_WAIT_BEFORE | SYNC_FILE_RANGE_WRITE |
                                        SYNC_FILE_RANGE_WAIT_AFTER) != 0) {
      status = io_error("writing back", creating, errno);
    }
  }
  if (status && ::fdatasync(fd) != 0) {
    status = io_error("syncing", creating, errno);
  }
  ::close(fd);
  if (status && ::rename(creating.c_str(), path.c_str()) != 0) {
    status = io_error("renaming", creating, errno);
  }
  if (!status) {
    std::error_code ignored;
    fs::remove(creating, ignored);
    return status;
  }
  return sync_directory(dir);
}

bool all_zero(std::span<const std::uint8_t> bytes) {
  return std::all_of(bytes.begin(), bytes.end(), [](std::uint8_t b) { return b == 0; });
}

}  // namespace

FileWalStore::FileWalStore(fs::path dir, Lsn start_lsn, std::uint64_t seg_size_bytes,
                           DiskReserve* reserve)
    : dir_(std::move(dir)),
      start_lsn_(start_lsn),
      first_held_lsn_(start_lsn),
      seg_size_bytes_(seg_size_bytes),
      reserve_(reserve),
      end_lsn_(start_lsn),
      flush_lsn_(start_lsn),
      files_(std::make_shared<WalFileMap>(dir_, seg_size_bytes)) {}

FileWalStore::~FileWalStore() {
  for (auto& [segno, segment] : segments_) {
    close_segment(segment);
  }
}

void FileWalStore::close_segment(Segment& segment) {
  if (segment.fd >= 0) {
    ::close(segment.fd);
    segment.fd = -1;
  }
}

std::uint64_t FileWalStore::bytes_on_disk() const {
  return (segments_.size() + (preparation_ ? 1 : 0)) * seg_size_bytes_;
}

fs::path FileWalStore::segment_path(std::uint64_t segno) const {
  return files_->segment_path(segno);
}

Result<FileWalStore::Opened> FileWalStore::open(const fs::path& dir, Lsn start_lsn,
                                                std::uint64_t seg_size_bytes,
                                                DiskReserve* reserve) {
  if (Status valid = pgwal::check_segment_size(seg_size_bytes); !valid) {
    return valid.error();
  }
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) {
    return io_error("creating", dir, ec.value());
  }
  std::unique_ptr<FileWalStore> store(new FileWalStore(dir, start_lsn, seg_size_bytes, reserve));
  WalRecoveryReport report;
  if (Status recovered = store->recover(report); !recovered) {
    return recovered.error();
  }
  return Opened{std::move(store), std::move(report)};
}

Status FileWalStore::recover(WalRecoveryReport& report) {
  if (Status loaded = load_retained_from(); !loaded) {
    return loaded;
  }
  end_lsn_ = first_held_lsn_;
  const std::uint64_t first_segno = pgwal::segment_number(first_held_lsn_, seg_size_bytes_);
  // The segment files present, by number; unfinished creations go, and so do files a removal
  // recorded but had not yet unlinked when it stopped.
  std::map<std::uint64_t, fs::path> files;
  bool removed = false;
  std::error_code ec;
  for (const fs::directory_entry& entry : fs::directory_iterator(dir_, ec)) {
    const std::string name = entry.path().filename().string();
    if (name.ends_with(kCreatingSuffix)) {
      fs::remove(entry.path(), ec);
      report.removed_files.push_back(name);
      continue;
    }
    if (!name.ends_with(kSegmentFileSuffix)) {
      continue;
    }
    auto parsed = pgwal::parse_segment_file_name(
        std::string_view(name).substr(0, name.size() - kSegmentFileSuffix.size()), seg_size_bytes_);
    if (parsed && parsed->pg_timeline_id == kWalPgTimeline) {
      if (parsed->segno < first_segno) {
        fs::remove(entry.path(), ec);
        removed = true;
      } else {
        files.emplace(parsed->segno, entry.path());
      }
    }
  }
  if (ec) {
    return io_error("listing", dir_, ec.value());
  }
  // Replay consecutive segments from the first; the log ends in the first one not filled.
  std::uint64_t segno = first_segno;
  while (files.contains(segno)) {
    if (Status s = recover_segment(segno, report); !s) {
      return s;
    }
    files.erase(segno);
    ++report.segments;
    if (end_lsn_ < pgwal::segment_start(segno + 1, seg_size_bytes_)) {
      break;
    }
    ++segno;
  }
  // What is left lies beyond the end: the spare made ahead (kept if complete and empty), or
  // what a truncation removed from the log but not yet from the disk.
  std::uint64_t spare = pgwal::segment_number(end_lsn_, seg_size_bytes_);
  while (segments_.contains(spare)) {
    ++spare;
  }
  for (const auto& [number, path] : files) {
    Result<std::vector<std::uint8_t>> bytes = read_file(path);
    if (!bytes) {
      return bytes.error();
    }
    const bool empty = all_zero(*bytes);
    if (empty && number == spare && bytes->size() == seg_size_bytes_) {
      segments_.try_emplace(number);
      continue;
    }
    fs::remove(path, ec);
    if (ec) {
      return io_error("removing", path, ec.value());
    }
    if (!empty) {
      report.removed_files.push_back(path.filename().string());
    }
    removed = true;
  }
  if (removed || !report.removed_files.empty()) {
    if (Status s = sync_directory(); !s) {
      return s;
    }
  }
  flush_lsn_ = end_lsn_;
  report.end_lsn = end_lsn_;
  if (segments_.empty()) {
    // A new timeline: its first segment is made in the background too, so that its first
    // append does not zero-fill 16 MiB on the thread every other timeline's appends wait on
    // (a compute starting on a branch would stall its parent's commits).
    prepare_segment(pgwal::segment_number(end_lsn_, seg_size_bytes_));
  }
  return {};
}

Status FileWalStore::recover_segment(std::uint64_t segno, WalRecoveryReport& report) {
  const fs::path path = segment_path(segno);
  Result<std::vector<std::uint8_t>> bytes = read_file(path);
  if (!bytes) {
    return bytes.error();
  }
  const Lsn seg_begin = std::max(pgwal::segment_start(segno, seg_size_bytes_), first_held_lsn_);
  const Lsn seg_end = pgwal::segment_start(segno + 1, seg_size_bytes_);
  Segment segment;
  std::uint64_t offset = 0;
  std::optional<std::string> torn;
  while (offset < bytes->size()) {
    const WalFrameScan scan = scan_wal_frame(std::span<const std::uint8_t>(*bytes).subspan(offset));
    if (scan.outcome == WalFrameScan::Outcome::kEnd) {
      break;
    }
    if (scan.outcome == WalFrameScan::Outcome::kTorn) {
      torn = scan.why;
      break;
    }
    const WalFrame& frame = scan.frame;
    if (frame.kind == WalFrameKind::kData) {
      const Lsn frame_end = frame.lsn.plus_bytes(frame.data.size());
      if (frame.lsn < seg_begin || frame_end > seg_end) {
        return Error(ErrorCode::kCorruption, path.string() + ": a frame of WAL [" +
                                                 frame.lsn.to_string() + ", " +
                                                 frame_end.to_string() + ") outside the segment");
      }
      if (frame.lsn != end_lsn_) {
        // Not where the log ends: left from before a crash, never part of the log.
        torn = "a frame at " + frame.lsn.to_string() + " where the log ends at " +
               end_lsn_.to_string();
        break;
      }
      files_->add(segno, {frame.lsn, offset + kWalFrameHeaderBytes, frame.data.size()});
      end_lsn_ = frame_end;
    } else if (frame.kind == WalFrameKind::kPositions) {
      if (frame.lsn > end_lsn_ || frame.truncate_lsn > frame.lsn) {
        torn = "positions (commit " + frame.lsn.to_string() + ") beyond the log's end " +
               end_lsn_.to_string();
        break;
      }
      // Positions only move forward; the largest recorded is the latest.
      const WalPositions recorded{frame.lsn, frame.truncate_lsn};
      positions_ = positions_
                       ? WalPositions{std::max(positions_->commit_lsn, recorded.commit_lsn),
                                      std::max(positions_->truncate_lsn, recorded.truncate_lsn)}
                       : recorded;
    } else {
      if (frame.lsn > end_lsn_ || frame.lsn < seg_begin) {
        torn = "a truncation to " + frame.lsn.to_string() + " where the log ends at " +
               end_lsn_.to_string();
        break;
      }
      files_->cut(frame.lsn);  // Earlier segments end below seg_begin: only this one's are cut.
      end_lsn_ = frame.lsn;
    }
    offset += frame.size_bytes;
  }
  segment.write_offset = offset;
  // A clean end must be zeros to the end of the file: a crash can persist a later sector of a
  // write and not an earlier one, leaving a whole stale frame behind a zeroed header, which
  // new frames could one day line up with.
  if (!torn && !all_zero(std::span<const std::uint8_t>(*bytes).subspan(offset))) {
    torn = "non-zero bytes after the last frame";
  }
  if (torn) {
    // Zero what follows the last valid frame, so that nothing stale is ever read as a frame.
    report.cut = WalRecoveryReport::Cut{path.filename().string(), offset, *torn};
    const int fd = ::open(path.c_str(), O_WRONLY | O_CLOEXEC);
    if (fd < 0) {
      return io_error("opening", path, errno);
    }
    Status zeroed = write_zeros(fd, offset, bytes->size(), path);
    if (zeroed && ::fdatasync(fd) != 0) {
      zeroed = io_error("syncing", path, errno);
    }
    ::close(fd);
    if (!zeroed) {
      return zeroed;
    }
  }
  segments_[segno] = std::move(segment);
  return {};
}

Status FileWalStore::refuse_if_failed() const {
  if (failed_) {
    return Error(ErrorCode::kIoError, "WAL of " + dir_.string() + " refuses writes after " +
                                          *failed_ + "; restart to recover from disk");
  }
  return {};
}

Status FileWalStore::sync_directory() {
  return storage::sync_directory(dir_);
}

fs::path FileWalStore::creating_path(std::uint64_t segno) const {
  return dir_ /
         (pgwal::segment_file_name(kWalPgTimeline, segno, seg_size_bytes_) + kCreatingSuffix);
}

Status FileWalStore::create_segment_file(std::uint64_t segno) {
  if (reserve_ != nullptr) {
    if (Status s = reserve_->check_new_file(); !s) {
      return s;
    }
  }
  return create_zeroed_file(dir_, segment_path(segno), creating_path(segno), seg_size_bytes_);
}

void FileWalStore::prepare_segment(std::uint64_t segno) {
  if (preparation_ || segments_.contains(segno)) {
    return;
  }
  // Below the reserve no spare is made: the append that needs the file asks again, and is
  // refused with the reserve's message if space has not returned.
  if (reserve_ != nullptr && reserve_->below_reserve_now()) {
    return;
  }
  auto make = [dir = dir_, path = segment_path(segno), creating = creating_path(segno),
               size = seg_size_bytes_] {
    // The zero-fill must not take the cores from the appends it is meant to spare.
    lower_this_threads_priority();
    return create_zeroed_file(dir, path, creating, size);
  };
  preparation_ = Preparation{segno, std::async(std::launch::async, std::move(make))};
}

void FileWalStore::finish_preparation() {
  if (!preparation_) {
    return;
  }
  Preparation preparation = std::move(*std::exchange(preparation_, std::nullopt));
  // A failure is not reported here: writable_segment() creates the file again when it is
  // needed and reports what that attempt meets (the disk may have room by then).
  if (preparation.done.get()) {
    segments_.try_emplace(preparation.segno);
  }
}

Result<FileWalStore::Segment*> FileWalStore::writable_segment(std::uint64_t segno) {
  if (preparation_ && preparation_->segno == segno) {
    finish_preparation();
  }
  auto it = segments_.find(segno);
  if (it == segments_.end()) {
    if (Status created = create_segment_file(segno); !created) {
      return created.error();
    }
    it = segments_.emplace(segno, Segment{}).first;
  }
  Segment& segment = it->second;
  if (segment.fd < 0) {
    const fs::path path = segment_path(segno);
    segment.fd = ::open(path.c_str(), O_WRONLY | O_CLOEXEC);
    if (segment.fd < 0) {
      return io_error("opening", path, errno);
    }
  }
  return &segment;
}

Status FileWalStore::write_frames(std::uint64_t segno, Segment& segment,
                                  const std::vector<std::uint8_t>& frames) {
  if (Status s = write_all(segment.fd, frames.data(), frames.size(), segment.write_offset,
                           segment_path(segno));
      !s) {
    return s;
  }
  segment.write_offset += frames.size();
  segment.dirty = true;
  return {};
}

Status FileWalStore::append(Lsn begin, std::span<const std::uint8_t> bytes) {
  if (Status s = refuse_if_failed(); !s) {
    return s;
  }
  if (begin != end_lsn_) {
    return Error(
        ErrorCode::kInvalidArgument,
        "append at " + begin.to_string() + ", expected the WAL's end " + end_lsn_.to_string());
  }
  if (reserve_ != nullptr) {
    if (Status s = reserve_->check_append(bytes.size()); !s) {
      return s;
    }
  }
  const Lsn expected_end = begin.plus_bytes(bytes.size());
  while (!bytes.empty()) {
    const std::uint64_t segno = pgwal::segment_number(end_lsn_, seg_size_bytes_);
    const std::uint64_t room =
        pgwal::segment_start(segno + 1, seg_size_bytes_).bytes_since(end_lsn_);
    const std::span<const std::uint8_t> piece =
        bytes.first(static_cast<std::size_t>(std::min<std::uint64_t>(room, bytes.size())));
    Result<Segment*> segment = writable_segment(segno);
    if (!segment) {
      return segment.error();
    }
    prepare_segment(segno + 1);
    std::vector<std::uint8_t> frame;
    append_data_frame(end_lsn_, piece, frame);
    const std::uint64_t data_offset = (*segment)->write_offset + kWalFrameHeaderBytes;
    if (Status s = write_frames(segno, **segment, frame); !s) {
      return s;
    }
    files_->add(segno, {end_lsn_, data_offset, piece.size()});
    end_lsn_ = end_lsn_.plus_bytes(piece.size());
    bytes = bytes.subspan(piece.size());
  }
  SK_CHECK(end_lsn_ == expected_end);
  SK_CHECK(flush_lsn_ <= end_lsn_);
  return {};
}

Status FileWalStore::write_positions(WalPositions positions) {
  const std::uint64_t segno =
      end_lsn_ > first_held_lsn_ ? pgwal::segment_number(Lsn(end_lsn_.value() - 1), seg_size_bytes_)
                                 : pgwal::segment_number(first_held_lsn_, seg_size_bytes_);
  Result<Segment*> segment = writable_segment(segno);
  if (!segment) {
    return segment.error();
  }
  std::vector<std::uint8_t> frame;
  append_positions_frame(positions.commit_lsn, positions.truncate_lsn, frame);
  return write_frames(segno, **segment, frame);
}

Status FileWalStore::record_positions(WalPositions positions) {
  if (Status s = refuse_if_failed(); !s) {
    return s;
  }
  if (positions.commit_lsn > end_lsn_ || positions.truncate_lsn > positions.commit_lsn) {
    return Error(ErrorCode::kInvalidArgument,
                 "positions commit " + positions.commit_lsn.to_string() + ", truncate " +
                     positions.truncate_lsn.to_string() + " with the WAL ending at " +
                     end_lsn_.to_string());
  }
  if (Status s = write_positions(positions); !s) {
    return s;
  }
  pending_positions_ = positions;
  return {};
}

Status FileWalStore::sync() {
  if (Status s = refuse_if_failed(); !s) {
    return s;
  }
  for (auto& [segno, segment] : segments_) {
    if (!segment.dirty) {
      continue;
    }
    if (::fdatasync(segment.fd) != 0) {
      // fsyncgate: after a failed fdatasync the page cache may no longer hold what we wrote.
      const Error error = io_error("syncing", segment_path(segno), errno);
      failed_ = error.message();
      return error;
    }
    segment.dirty = false;
    // A segment behind the end is complete: it is never written again.
    if (pgwal::segment_start(segno + 1, seg_size_bytes_) <= end_lsn_) {
      close_segment(segment);
    }
  }
  flush_lsn_ = end_lsn_;
  if (pending_positions_) {
    positions_ = std::exchange(pending_positions_, std::nullopt);
  }
  SK_CHECK(!positions_ || positions_->truncate_lsn <= positions_->commit_lsn);
  return {};
}

Status FileWalStore::truncate(Lsn at) {
  if (Status s = refuse_if_failed(); !s) {
    return s;
  }
  if (at < first_held_lsn_ || at > end_lsn_) {
    return Error(ErrorCode::kInvalidArgument,
                 "truncate at " + at.to_string() + ", outside the WAL [" +
                     first_held_lsn_.to_string() + ", " + end_lsn_.to_string() + ")");
  }
  if (Status s = sync(); !s) {
    return s;
  }
  if (at == end_lsn_) {
    return {};
  }
  finish_preparation();  // A spare beyond the cut goes with the segments there.
  // Remove whole segments from the top down, so that every crash point leaves a prefix of the
  // log; then mark the cut inside the segment that keeps bytes (if any).
  const std::uint64_t keep_segno = pgwal::segment_number(at, seg_size_bytes_);
  const bool keeps_bytes =
      at > std::max(pgwal::segment_start(keep_segno, seg_size_bytes_), first_held_lsn_);
  bool removed = false;
  for (auto it = segments_.rbegin(); it != segments_.rend();) {
    const std::uint64_t segno = it->first;
    if (segno < keep_segno || (segno == keep_segno && keeps_bytes)) {
      ++it;
      continue;
    }
    close_segment(it->second);
    const fs::path path = segment_path(segno);
    if (::unlink(path.c_str()) != 0 && errno != ENOENT) {
      return io_error("removing", path, errno);
    }
    it = std::make_reverse_iterator(segments_.erase(std::next(it).base()));
    removed = true;
  }
  if (removed) {
    if (Status s = sync_directory(); !s) {
      return s;
    }
  }
  if (keeps_bytes) {
    Result<Segment*> segment = writable_segment(keep_segno);
    if (!segment) {
      return segment.error();
    }
    std::vector<std::uint8_t> frame;
    append_truncate_frame(at, frame);
    if (Status s = write_frames(keep_segno, **segment, frame); !s) {
      return s;
    }
  }
  files_->cut(at);
  end_lsn_ = at;
  // The latest positions may have been in a removed segment: record them again below the cut.
  if (positions_ && positions_->commit_lsn <= at && at > first_held_lsn_) {
    if (Status s = write_positions(*positions_); !s) {
      return s;
    }
  }
  if (Status s = sync(); !s) {
    return s;
  }
  SK_CHECK(end_lsn_ == at);
  SK_CHECK(flush_lsn_ == at);
  return {};
}

Result<std::vector<std::uint8_t>> FileWalStore::read(Lsn begin, Lsn end) const {
  if (begin >= start_lsn_ && begin < first_held_lsn_) {
    return Error(ErrorCode::kNotFound, "WAL at " + begin.to_string() +
                                           " has been removed from this safekeeper (it keeps WAL "
                                           "from " +
                                           first_held_lsn_.to_string() + " on)");
  }
  if (begin < start_lsn_ || end < begin || end > end_lsn_) {
    return Error(ErrorCode::kInvalidArgument,
                 "read of [" + begin.to_string() + ", " + end.to_string() + "), outside the WAL [" +
                     start_lsn_.to_string() + ", " + end_lsn_.to_string() + ")");
  }
  std::vector<std::uint8_t> out(end.bytes_since(begin));
  if (Status s = files_->read(begin, out); !s) {
    return s.error();
  }
  return out;
}

fs::path FileWalStore::retained_from_path() const {
  return dir_ / kRetainedFromFile;
}

Status FileWalStore::load_retained_from() {
  const fs::path path = retained_from_path();
  std::error_code ec;
  if (!fs::exists(path, ec)) {
    return ec ? io_error("examining", path, ec.value()) : Status{};
  }
  Result<std::vector<std::uint8_t>> bytes = read_file(path);
  if (!bytes) {
    return bytes.error();
  }
  auto payload = unframe_record(
      kRetainedFromMagic, kRetainedFromVersion,
      std::string_view(reinterpret_cast<const char*>(bytes->data()), bytes->size()), path.string());
  if (!payload) {
    return payload.error();
  }
  if (payload->size() != 8) {
    return Error(
        ErrorCode::kCorruption,
        path.string() + ": a payload of " + std::to_string(payload->size()) + " bytes, expected 8");
  }
  const Lsn recorded(pgwal::load_u64(reinterpret_cast<const std::uint8_t*>(payload->data())));
  if (recorded < start_lsn_ || recorded.value() % seg_size_bytes_ != 0) {
    return Error(ErrorCode::kCorruption, path.string() + ": WAL kept from " + recorded.to_string() +
                                             ", not a segment start within the timeline");
  }
  first_held_lsn_ = recorded;
  return {};
}

// Written under a temporary name, synced and renamed: a crash leaves the old record or the new.
Status FileWalStore::save_retained_from(Lsn first_held) {
  std::array<std::uint8_t, 8> value{};
  pgwal::store_u64(value.data(), first_held.value());
  const std::string record = frame_record(kRetainedFromMagic, kRetainedFromVersion,
                                          std::string(value.begin(), value.end()));
  const fs::path path = retained_from_path();
  const fs::path writing = dir_ / (std::string(kRetainedFromFile) + ".writing");
  const int fd = ::open(writing.c_str(), O_CREAT | O_TRUNC | O_WRONLY | O_CLOEXEC, 0600);
  if (fd < 0) {
    return io_error("creating", writing, errno);
  }
  Status status = write_all(fd, reinterpret_cast<const std::uint8_t*>(record.data()), record.size(),
                            0, writing);
  if (status && ::fdatasync(fd) != 0) {
    status = io_error("syncing", writing, errno);
  }
  ::close(fd);
  if (status && ::rename(writing.c_str(), path.c_str()) != 0) {
    status = io_error("renaming", writing, errno);
  }
  return status ? sync_directory() : status;
}

Result<std::size_t> FileWalStore::remove_below(Lsn horizon) {
  if (Status s = refuse_if_failed(); !s) {
    return s.error();
  }
  if (horizon > flush_lsn_) {
    return Error(ErrorCode::kInvalidArgument, "removal below " + horizon.to_string() +
                                                  ", beyond the durable WAL's end " +
                                                  flush_lsn_.to_string());
  }
  if (end_lsn_ == first_held_lsn_) {
    return std::size_t{0};
  }
  const std::uint64_t last_byte_segno =
      pgwal::segment_number(Lsn(end_lsn_.value() - 1), seg_size_bytes_);
  const std::uint64_t keep =
      std::min(pgwal::segment_number(horizon, seg_size_bytes_), last_byte_segno);
  const Lsn new_first = pgwal::segment_start(keep, seg_size_bytes_);
  if (new_first <= first_held_lsn_) {
    return std::size_t{0};
  }
  if (Status s = save_retained_from(new_first); !s) {
    return s.error();
  }
  first_held_lsn_ = new_first;
  files_->forget_below(keep);
  std::size_t removed = 0;
  for (auto it = segments_.begin(); it != segments_.end() && it->first < keep;) {
    close_segment(it->second);
    const fs::path path = segment_path(it->first);
    if (::unlink(path.c_str()) != 0 && errno != ENOENT) {
      return io_error("removing", path, errno);  // The next start removes it.
    }
    it = segments_.erase(it);
    ++removed;
  }
  if (Status s = sync_directory(); !s) {
    return s.error();
  }
  return removed;
}

}  // namespace sk::storage
