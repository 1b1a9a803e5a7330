// WalFileMap; see wal_file_map.h.
#include "safekeeper/storage/wal_file_map.h"

#include <algorithm>
#include <cerrno>
#include <string>

#include <fcntl.h>
#include <unistd.h>

#include "consensus/check.h"
#include "safekeeper/pgwal/segment_name.h"
#include "safekeeper/storage/file_io.h"

namespace sk::storage {

using consensus::Lsn;

std::filesystem::path WalFileMap::segment_path(std::uint64_t segno) const {
  return dir_ / (pgwal::segment_file_name(kWalPgTimeline, segno, seg_size_bytes_) +
                 std::string(kSegmentFileSuffix));
}

void WalFileMap::add(std::uint64_t segno, Extent extent) {
  SK_CHECK(extent.lsn >= pgwal::segment_start(segno, seg_size_bytes_));
  SK_CHECK(extent.lsn.plus_bytes(extent.length) <=
           pgwal::segment_start(segno + 1, seg_size_bytes_));
  std::lock_guard lock(mutex_);
  if (!segments_.empty() && !segments_.rbegin()->second.empty()) {
    const Extent& last = segments_.rbegin()->second.back();
    SK_CHECK_MSG(last.lsn.plus_bytes(last.length) == extent.lsn,
                 "an extent at " + extent.lsn.to_string() + " where the log ends at " +
                     last.lsn.plus_bytes(last.length).to_string());
  }
  segments_[segno].push_back(extent);
}

void WalFileMap::cut(Lsn at) {
  std::lock_guard lock(mutex_);
  for (auto it = segments_.begin(); it != segments_.end();) {
    std::vector<Extent>& extents = it->second;
    while (!extents.empty() && extents.back().lsn >= at) {
      extents.pop_back();
    }
    if (!extents.empty()) {
      Extent& last = extents.back();
      last.length = std::min(last.length, at.bytes_since(last.lsn));
    }
    it = extents.empty() ? segments_.erase(it) : std::next(it);
  }
}

void WalFileMap::forget_below(std::uint64_t segno) {
  std::lock_guard lock(mutex_);
  segments_.erase(segments_.begin(), segments_.lower_bound(segno));
  removed_below_ = std::max(removed_below_, segno);
}

Error WalFileMap::removed_error(Lsn at) const {
  return Error(ErrorCode::kNotFound,
               "WAL at " + at.to_string() +
                   " has been removed from this safekeeper (it keeps WAL from " +
                   pgwal::segment_start(removed_below_, seg_size_bytes_).to_string() + " on)");
}

Result<std::vector<WalFileMap::FileRange>> WalFileMap::locate(Lsn begin, Lsn end) const {
  std::vector<FileRange> ranges;
  std::lock_guard lock(mutex_);
  Lsn at = begin;
  while (at < end) {
    const std::uint64_t segno = pgwal::segment_number(at, seg_size_bytes_);
    const auto segment = segments_.find(segno);
    if (segno < removed_below_) {
      return removed_error(at);
    }
    if (segment == segments_.end()) {
      return Error(ErrorCode::kNotFound, "WAL at " + at.to_string() + " is not held here");
    }
    const std::vector<Extent>& extents = segment->second;
    // The first extent ending after `at`; extents are in LSN order and contiguous.
    auto extent =
        std::upper_bound(extents.begin(), extents.end(), at,
                         [](Lsn lsn, const Extent& e) { return lsn < e.lsn.plus_bytes(e.length); });
    for (; extent != extents.end() && at < end; ++extent) {
      if (extent->lsn > at) {
        break;  // Cannot happen in a contiguous log; reported below as not held.
      }
      const std::uint64_t n = std::min(extent->lsn.plus_bytes(extent->length), end).bytes_since(at);
      ranges.push_back({segno, extent->file_offset + at.bytes_since(extent->lsn), n});
      at = at.plus_bytes(n);
    }
    if (at < end && pgwal::segment_number(at, seg_size_bytes_) == segno) {
      return Error(ErrorCode::kNotFound, "WAL at " + at.to_string() + " is not held here");
    }
  }
  return ranges;
}

Status WalFileMap::read(Lsn begin, std::span<std::uint8_t> out) const {
  auto ranges = locate(begin, begin.plus_bytes(out.size()));
  if (!ranges) {
    return ranges.error();
  }
  // Each segment's file opened once for this read, on a descriptor of our own: the store's
  // descriptors belong to its thread.
  std::size_t done = 0;
  for (std::size_t i = 0; i < ranges->size();) {
    const std::uint64_t segno = (*ranges)[i].segno;
    const std::filesystem::path path = segment_path(segno);
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
      const int err = errno;
      std::lock_guard lock(mutex_);
      if (err == ENOENT && segno < removed_below_) {
        return removed_error(pgwal::segment_start(segno, seg_size_bytes_));  // Removed meanwhile.
      }
      return io_error("opening", path, err);
    }
    Status status;
    for (; status && i < ranges->size() && (*ranges)[i].segno == segno; ++i) {
      const FileRange& range = (*ranges)[i];
      status = read_all(fd, out.data() + done, range.length, range.file_offset, path);
      done += range.length;
    }
    ::close(fd);
    if (!status) {
      return status;
    }
  }
  SK_CHECK(done == out.size());
  return {};
}

}  // namespace sk::storage
