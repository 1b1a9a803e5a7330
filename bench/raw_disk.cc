// sk-bench-rawdisk: the one-writer limit of a disk, as the cluster harness (cluster_bench.sh)
// compares the safekeepers against it. Appends blocks of --bytes to a file preallocated with
// zeros in --dir, write + fdatasync per block, for --seconds or --max-ops, whichever comes first,
// and prints one JSON line:
//
//   {"bytes":8192,"ops":...,"seconds":...,"mb_per_s":...,"p50_us":...,"p99_us":...}
//
// MB are 10^6 bytes, as sk-loadgen reports them. Not a model of the WAL store (no frames, no
// segment creation; sk_bench_storage measures that): just what a device gives one writer.
#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <string>
#include <vector>

#include <fcntl.h>
#include <unistd.h>

#include "safekeeper/cli/command_line.h"
#include "safekeeper/metrics/percentile.h"

namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

struct Options {
  fs::path dir;
  std::size_t block_bytes = 8192;
  double seconds = 10;
  std::uint64_t max_ops = 1000000;
  // Rewritten from the start when full. 64 MiB: large enough that a 128 KiB run does not hammer
  // a few blocks of the device, small enough to zero-fill in a blink.
  std::uint64_t file_bytes = std::uint64_t{64} << 20;
};

[[noreturn]] void fail(const std::string& what) {
  std::fprintf(stderr, "sk-bench-rawdisk: %s: %s\n", what.c_str(), std::strerror(errno));
  std::exit(1);
}

Options parse(int argc, char** argv) {
  static sk::cli::CommandLine flags("sk-bench-rawdisk", "--dir DIR [options]");
  flags.value("dir", "DIR", "where the scratch file goes (the safekeepers' disk; not tmpfs)")
      .value("bytes", "N", "block size (default 8192)")
      .value("seconds", "S", "how long to run (default 10)")
      .value("max-ops", "N", "stop after N blocks if that comes first (default 1000000)")
      .value("file-mib", "M", "scratch file size; writes wrap around (default 64)");
  flags.parse(argc, argv);
  Options o;
  o.dir = flags.get("dir").value_or("");
  o.block_bytes = flags.get_unsigned("bytes", true).value_or(o.block_bytes);
  o.seconds = flags.get_real("seconds").value_or(o.seconds);
  o.max_ops = flags.get_unsigned("max-ops", true).value_or(o.max_ops);
  if (auto mib = flags.get_unsigned("file-mib", true)) {
    o.file_bytes = *mib << 20;
  }
  if (o.dir.empty()) {
    flags.usage_error("--dir is required");
  }
  if (!(o.seconds > 0)) {
    flags.usage_error("--seconds must be positive");
  }
  if (o.block_bytes > o.file_bytes) {
    flags.usage_error("--bytes is larger than the file (--file-mib)");
  }
  return o;
}

void write_all(int fd, const std::uint8_t* data, std::size_t size, std::uint64_t offset) {
  while (size > 0) {
    const ssize_t n = ::pwrite(fd, data, size, static_cast<off_t>(offset));
    if (n < 0 && errno == EINTR) {
      continue;
    }
    if (n <= 0) {
      fail("pwrite");
    }
    data += n;
    size -= static_cast<std::size_t>(n);
    offset += static_cast<std::uint64_t>(n);
  }
}

}  // namespace

int main(int argc, char** argv) {
  const Options options = parse(argc, argv);
  const fs::path path = options.dir / ("sk-bench-rawdisk." + std::to_string(::getpid()));
  const int fd = ::open(path.c_str(), O_CREAT | O_RDWR | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) {
    fail("open " + path.string());
  }
  // Zeros written and synced first, as the WAL store does with a new segment: the loop below
  // then overwrites allocated blocks, so an fdatasync flushes data only and no extent metadata.
  {
    const std::vector<std::uint8_t> zeros(std::size_t{1} << 20, 0);
    for (std::uint64_t offset = 0; offset < options.file_bytes; offset += zeros.size()) {
      write_all(fd, zeros.data(),
                static_cast<std::size_t>(
                    std::min<std::uint64_t>(zeros.size(), options.file_bytes - offset)),
                offset);
    }
    if (::fsync(fd) != 0) {
      fail("fsync");
    }
  }
  std::vector<std::uint8_t> block(options.block_bytes);
  for (std::size_t i = 0; i < block.size(); ++i) {
    block[i] = static_cast<std::uint8_t>(i * 131 + 7);  // Not zeros: no device may elide them.
  }

  std::vector<std::uint32_t> latencies_us;
  latencies_us.reserve(static_cast<std::size_t>(std::min<std::uint64_t>(options.max_ops, 1 << 20)));
  const auto started = Clock::now();
  const auto deadline = started + std::chrono::duration_cast<Clock::duration>(
                                      std::chrono::duration<double>(options.seconds));
  std::uint64_t offset = 0;
  auto now = started;
  while (latencies_us.size() < options.max_ops && now < deadline) {
    if (offset + options.block_bytes > options.file_bytes) {
      offset = 0;
    }
    write_all(fd, block.data(), block.size(), offset);
    if (::fdatasync(fd) != 0) {
      fail("fdatasync");
    }
    offset += options.block_bytes;
    const auto done = Clock::now();
    latencies_us.push_back(static_cast<std::uint32_t>(
        std::chrono::duration_cast<std::chrono::microseconds>(done - now).count()));
    now = done;
  }
  const double seconds = std::chrono::duration<double>(now - started).count();
  ::close(fd);
  std::error_code ignored;
  fs::remove(path, ignored);

  const double bytes = static_cast<double>(latencies_us.size() * options.block_bytes);
  std::printf(
      "{\"bytes\":%zu,\"ops\":%zu,\"seconds\":%.3f,\"mb_per_s\":%.2f,\"p50_us\":%u,"
      "\"p99_us\":%u}\n",
      options.block_bytes, latencies_us.size(), seconds, seconds > 0 ? bytes / seconds / 1e6 : 0.0,
      sk::metrics::percentile(latencies_us, 0.5), sk::metrics::percentile(latencies_us, 0.99));
  return 0;
}
