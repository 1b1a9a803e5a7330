// DiskReserve: the free space a node keeps on the file system holding its data directory. Below
// it, WAL appends and new segment files are refused with kNoSpace naming the reserve, before
// the disk is actually full, so that what must still be written (LMDB commits of the control
// state, a segment file already being made) never meets a real ENOSPC. Reads go on.
//
// One object per node, shared by every timeline's FileWalStore. Free space comes from a probe
// (statvfs(2) in the daemon, injected in tests) and is cached; see kRefreshInterval. Probing and
// checking happen on the storage worker's thread only; the numbers it publishes (free, reserve,
// refusing, refusals) are atomics that any thread may read.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>

#include "consensus/result.h"

namespace sk::storage {

// How much to keep free: a size in bytes, or a share of the file system's size. The default
// (nothing given) is the smaller of 5 % and 2 GiB: enough headroom for LMDB and one segment
// being made, without idling a large share of a big disk.
struct ReserveSize {
  std::optional<std::uint64_t> bytes;  // Set: exactly this many bytes.
  double percent = 0;                  // Used when `bytes` is not set and `is_default` is false.
  bool is_default = true;

  static constexpr std::uint64_t kDefaultCapBytes = std::uint64_t{2} << 30;
  static constexpr double kDefaultPercent = 5.0;

  // "2GiB", "512MiB", "64KiB", "1048576" (bytes), "0" (no reserve), "5%" or "2.5%" (from 0 to
  // 50 %). kInvalidArgument otherwise.
  static Result<ReserveSize> parse(const std::string& text);
  // The reserve in bytes on a file system of `total_bytes`.
  std::uint64_t bytes_on(std::uint64_t total_bytes) const;
  std::string to_string() const;
};

// "1.2 GiB", "512 MiB", "100 B": for messages.
std::string format_bytes(std::uint64_t bytes);

struct FileSystemSpace {
  std::uint64_t free_bytes = 0;   // Available to an unprivileged writer (f_bavail).
  std::uint64_t total_bytes = 0;  // The file system's size (f_blocks).
};

class DiskReserve {
 public:
  using Probe = std::function<Result<FileSystemSpace>(const std::filesystem::path&)>;
  using Clock = std::function<std::chrono::steady_clock::time_point()>;

  // The cache is refreshed when it is older than this or when this many WAL bytes were
  // appended since the last probe. Appends write into segment files zero-filled ahead, so they
  // take no space themselves: space goes to new segment files (always probed first), LMDB and
  // other writers on the file system. 100 ms bounds how long such a writer goes unseen (to eat
  // a 2 GiB reserve in 100 ms it would write at 20 GB/s) while keeping statvfs off nearly every
  // append at thousands of appends a second; the byte bound keeps a stale answer from admitting
  // more than a few MiB of WAL when appends are dense.
  static constexpr std::chrono::milliseconds kRefreshInterval{100};
  static constexpr std::uint64_t kRefreshBytes = std::uint64_t{4} << 20;

  // statvfs(2) of `path`: kIoError naming it when the call fails. A failed probe keeps the
  // previous numbers and refuses nothing: the reserve is a safeguard, and a write that then
  // fails reports what the file system says.
  static Result<FileSystemSpace> statvfs_probe(const std::filesystem::path& path);

  DiskReserve(std::filesystem::path dir, ReserveSize size, Probe probe = statvfs_probe,
              Clock clock = std::chrono::steady_clock::now);

  // Before appending `bytes` of WAL: kNoSpace when free space is below the reserve (the cached
  // value, refreshed per the policy above). Counts each refusal.
  Status check_append(std::uint64_t bytes);
  // Before creating a segment file: always probes (a file takes a whole segment at once);
  // kNoSpace when free space is below the reserve. Counts each refusal.
  Status check_new_file();
  // Probes now; true if free space is below the reserve. For deciding whether reopening a
  // timeline stopped for space is worth it.
  bool below_reserve_now();
  // Probes if the cache is stale (for status pages).
  void refresh_if_stale();

  const std::filesystem::path& dir() const { return dir_; }
  std::uint64_t free_bytes() const { return free_bytes_.load(std::memory_order_relaxed); }
  std::uint64_t reserve_bytes() const { return reserve_bytes_.load(std::memory_order_relaxed); }
  // Whether the latest probe found free space below the reserve.
  bool refusing() const { return refusing_.load(std::memory_order_relaxed); }
  std::uint64_t refused_total() const { return refused_total_.load(std::memory_order_relaxed); }

 private:
  void refresh();
  Status verdict(const char* what);

  std::filesystem::path dir_;
  ReserveSize size_;
  Probe probe_;
  Clock clock_;
  // Worker thread only.
  std::optional<std::chrono::steady_clock::time_point> probed_at_;  // Unset: never probed.
  std::uint64_t appended_since_probe_ = 0;
  // Published for any thread.
  std::atomic<std::uint64_t> free_bytes_{0};
  std::atomic<std::uint64_t> reserve_bytes_{0};
  std::atomic<bool> refusing_{false};
  std::atomic<std::uint64_t> refused_total_{0};
};

}  // namespace sk::storage
