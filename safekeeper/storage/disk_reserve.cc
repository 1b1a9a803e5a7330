// DiskReserve; see disk_reserve.h.
#include "safekeeper/storage/disk_reserve.h"

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstdio>
#include <utility>

#include <sys/statvfs.h>

#include "safekeeper/storage/file_io.h"

namespace sk::storage {

namespace {

constexpr double kMaxPercent = 50.0;

Error bad_size(const std::string& text) {
  return Error(ErrorCode::kInvalidArgument,
               "disk reserve '" + text +
                   "' must be a size (2GiB, 512MiB, 64KiB, a number of bytes) or a percentage "
                   "of the file system from 0% to 50% (5%)");
}

}  // namespace

Result<ReserveSize> ReserveSize::parse(const std::string& text) {
  if (text.ends_with('%')) {
    const std::string number = text.substr(0, text.size() - 1);
    double percent = 0;
    const auto [ptr, ec] = std::from_chars(number.data(), number.data() + number.size(), percent);
    if (number.empty() || ec != std::errc() || ptr != number.data() + number.size() ||
        !(percent >= 0) || percent > kMaxPercent) {
      return bad_size(text);
    }
    return ReserveSize{.bytes = std::nullopt, .percent = percent, .is_default = false};
  }
  static constexpr std::pair<std::string_view, int> kUnits[] = {
      {"TiB", 40}, {"GiB", 30}, {"MiB", 20}, {"KiB", 10}, {"B", 0}};
  std::string_view number = text;
  int shift = 0;
  for (const auto& [suffix, bits] : kUnits) {
    if (number.ends_with(suffix)) {
      number.remove_suffix(suffix.size());
      shift = bits;
      break;
    }
  }
  std::uint64_t value = 0;
  const auto [ptr, ec] = std::from_chars(number.data(), number.data() + number.size(), value);
  if (number.empty() || ec != std::errc() || ptr != number.data() + number.size() ||
      value > (~std::uint64_t{0} >> shift)) {
    return bad_size(text);
  }
  return ReserveSize{.bytes = value << shift, .percent = 0, .is_default = false};
}

std::uint64_t ReserveSize::bytes_on(std::uint64_t total_bytes) const {
  const auto share = [total_bytes](double share_percent) {
    return static_cast<std::uint64_t>(static_cast<double>(total_bytes) * share_percent / 100.0);
  };
  if (bytes) {
    return *bytes;
  }
  if (is_default) {
    return std::min(share(kDefaultPercent), kDefaultCapBytes);
  }
  return share(percent);
}

std::string ReserveSize::to_string() const {
  if (bytes) {
    return format_bytes(*bytes);
  }
  if (is_default) {
    return "the smaller of 5% and 2 GiB";
  }
  char text[32];
  std::snprintf(text, sizeof text, "%g%%", percent);
  return text;
}

std::string format_bytes(std::uint64_t bytes) {
  static constexpr const char* kUnits[] = {"KiB", "MiB", "GiB", "TiB"};
  if (bytes < 1024) {
    return std::to_string(bytes) + " B";
  }
  double value = static_cast<double>(bytes) / 1024;
  std::size_t unit = 0;
  while (value >= 1024 && unit + 1 < std::size(kUnits)) {
    value /= 1024;
    ++unit;
  }
  char text[32];
  std::snprintf(text, sizeof text, "%.1f %s", value, kUnits[unit]);
  return text;
}

Result<FileSystemSpace> DiskReserve::statvfs_probe(const std::filesystem::path& path) {
  struct statvfs st {};
  if (::statvfs(path.c_str(), &st) != 0) {
    return io_error("measuring free space of", path, errno);
  }
  return FileSystemSpace{.free_bytes = std::uint64_t{st.f_bavail} * st.f_frsize,
                         .total_bytes = std::uint64_t{st.f_blocks} * st.f_frsize};
}

DiskReserve::DiskReserve(std::filesystem::path dir, ReserveSize size, Probe probe, Clock clock)
    : dir_(std::move(dir)), size_(size), probe_(std::move(probe)), clock_(std::move(clock)) {}

void DiskReserve::refresh() {
  probed_at_ = clock_();
  appended_since_probe_ = 0;
  Result<FileSystemSpace> space = probe_(dir_);
  if (!space) {
    return;  // See statvfs_probe(): the previous numbers stand.
  }
  const std::uint64_t reserve = size_.bytes_on(space->total_bytes);
  free_bytes_.store(space->free_bytes, std::memory_order_relaxed);
  reserve_bytes_.store(reserve, std::memory_order_relaxed);
  refusing_.store(space->free_bytes < reserve, std::memory_order_relaxed);
}

void DiskReserve::refresh_if_stale() {
  if (!probed_at_ || clock_() - *probed_at_ >= kRefreshInterval ||
      appended_since_probe_ >= kRefreshBytes) {
    refresh();
  }
}

bool DiskReserve::below_reserve_now() {
  refresh();
  return refusing();
}

Status DiskReserve::verdict(const char* what) {
  if (!refusing()) {
    return {};
  }
  refused_total_.fetch_add(1, std::memory_order_relaxed);
  return Error(ErrorCode::kNoSpace,
               std::string(what) + " refused: free space " + format_bytes(free_bytes()) + " on " +
                   dir_.string() + " is below the reserve of " + format_bytes(reserve_bytes()) +
                   "; appends resume when space returns");
}

Status DiskReserve::check_append(std::uint64_t bytes) {
  refresh_if_stale();
  appended_since_probe_ += bytes;
  return verdict("WAL append");
}

Status DiskReserve::check_new_file() {
  refresh();
  return verdict("new WAL segment file");
}

}  // namespace sk::storage
