// The storage layer against this disk: a raw write+fdatasync loop (the physical limit), the WAL
// store's append+sync (frames, checksums, segment creation included as it comes), a batch of
// appends sharing one sync (group commit), and a control-store save (one LMDB commit). Files go
// to $SK_BENCH_DIR, else the system's temporary directory, which must be on a real disk for the
// figures to mean anything (tmpfs makes fdatasync free).
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <vector>

#include <benchmark/benchmark.h>
#include <fcntl.h>
#include <unistd.h>

#include "safekeeper/storage/file_wal_store.h"
#include "safekeeper/storage/lmdb_control_store.h"

namespace sk::storage {
namespace {

namespace fs = std::filesystem;
using consensus::Lsn;

constexpr std::uint64_t kSegmentBytes = std::uint64_t{16} << 20;
constexpr Lsn kStart{0x1000000};

std::vector<std::uint8_t> payload(std::size_t size) {
  std::vector<std::uint8_t> bytes(size);
  for (std::size_t i = 0; i < size; ++i) {
    bytes[i] = static_cast<std::uint8_t>(i * 131 + 7);
  }
  return bytes;
}

// A scratch directory on the benchmark disk.
class BenchDir {
 public:
  BenchDir() {
    const char* base = std::getenv("SK_BENCH_DIR");
    path_ = (base != nullptr ? fs::path(base) : fs::temp_directory_path()) /
            ("sk_bench_" + std::to_string(::getpid()));
    fs::create_directories(path_);
  }
  ~BenchDir() {
    std::error_code ignored;
    fs::remove_all(path_, ignored);
  }
  const fs::path& path() const { return path_; }

 private:
  fs::path path_;
};

void report(benchmark::State& state, std::size_t bytes_per_iteration) {
  state.SetBytesProcessed(state.iterations() * static_cast<std::int64_t>(bytes_per_iteration));
  state.SetItemsProcessed(state.iterations());
}

// One writer: pwrite N bytes at the next offset of a preallocated 16 MiB file, then fdatasync,
// wrapping around at the end. What a WAL cannot beat on this disk.
void raw_write_fdatasync(benchmark::State& state) {
  BenchDir dir;
  const auto size = static_cast<std::size_t>(state.range(0));
  const fs::path path = dir.path() / "raw";
  const int fd = ::open(path.c_str(), O_CREAT | O_RDWR | O_TRUNC, 0600);
  const std::vector<std::uint8_t> zeros(kSegmentBytes, 0);
  if (fd < 0 || ::pwrite(fd, zeros.data(), zeros.size(), 0) != static_cast<ssize_t>(zeros.size()) ||
      ::fsync(fd) != 0) {
    state.SkipWithError("cannot prepare the file");
    return;
  }
  const std::vector<std::uint8_t> bytes = payload(size);
  std::uint64_t offset = 0;
  for (auto _ : state) {
    if (offset + size > kSegmentBytes) {
      offset = 0;
    }
    if (::pwrite(fd, bytes.data(), size, static_cast<off_t>(offset)) !=
            static_cast<ssize_t>(size) ||
        ::fdatasync(fd) != 0) {
      state.SkipWithError("write or fdatasync failed");
      break;
    }
    offset += size;
  }
  ::close(fd);
  report(state, size);
}
BENCHMARK(raw_write_fdatasync)->Arg(8 << 10)->Arg(128 << 10)->UseRealTime();

// FileWalStore: `batch` appends of N bytes, then one sync. batch 1 is an unbatched append.
void wal_store_append_sync(benchmark::State& state) {
  BenchDir dir;
  const auto size = static_cast<std::size_t>(state.range(0));
  const auto batch = static_cast<std::size_t>(state.range(1));
  auto opened = FileWalStore::open(dir.path() / "wal", kStart, kSegmentBytes);
  if (!opened) {
    state.SkipWithError(opened.error().to_string().c_str());
    return;
  }
  FileWalStore& store = *opened->store;
  const std::vector<std::uint8_t> bytes = payload(size);
  for (auto _ : state) {
    for (std::size_t i = 0; i < batch; ++i) {
      if (!store.append(store.end_lsn(), bytes)) {
        state.SkipWithError("append failed");
        return;
      }
    }
    if (!store.sync()) {
      state.SkipWithError("sync failed");
      return;
    }
    // Keep the disk footprint bounded: start over every 256 MiB (the truncation and the new
    // segments' creation are part of the measured cost, as they would be in a long run).
    if (store.end_lsn().bytes_since(kStart) > (std::uint64_t{256} << 20)) {
      if (!store.truncate(kStart)) {
        state.SkipWithError("truncate failed");
        return;
      }
    }
  }
  report(state, size * batch);
}
BENCHMARK(wal_store_append_sync)
    ->Args({8 << 10, 1})
    ->Args({128 << 10, 1})
    ->Args({8 << 10, 16})
    ->UseRealTime();

// One control-store save: one LMDB write transaction (data pages, then the meta page, synced).
void control_store_save(benchmark::State& state) {
  BenchDir dir;
  auto env = LmdbEnv::open(dir.path(), {});
  if (!env) {
    state.SkipWithError(env.error().to_string().c_str());
    return;
  }
  LmdbControlStore store(**env);
  consensus::TimelineIdentity identity;
  identity.tenant_id = *consensus::TenantId::parse_hex("0123456789abcdef0123456789abcdef");
  identity.timeline_id = *consensus::TimelineId::parse_hex("fedcba9876543210fedcba9876543210");
  identity.wal_seg_size_bytes = kSegmentBytes;
  identity.timeline_start_lsn = kStart;
  consensus::AcceptorState acceptor_state = consensus::AcceptorState::for_new_timeline(identity);
  std::uint64_t commit = 0;
  for (auto _ : state) {
    acceptor_state.commit_lsn = kStart.plus_bytes(++commit);
    if (!store.save(acceptor_state)) {
      state.SkipWithError("save failed");
      return;
    }
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(control_store_save)->UseRealTime();

}  // namespace
}  // namespace sk::storage
