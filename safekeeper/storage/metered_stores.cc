// MeteredWalStore, MeteredControlStore; see metered_stores.h.
#include "safekeeper/storage/metered_stores.h"

namespace sk::storage {

Status MeteredWalStore::count_error(Status status) {
  if (!status) {
    metrics_.io_errors.fetch_add(1, std::memory_order_relaxed);
  }
  return status;
}

Status MeteredWalStore::append(consensus::Lsn begin, std::span<const std::uint8_t> bytes) {
  const metrics::Stopwatch watch;
  Status status = inner_.append(begin, bytes);
  metrics_.wal_write_seconds.observe(watch.elapsed());
  if (status) {
    metrics_.wal_bytes_written.fetch_add(bytes.size(), std::memory_order_relaxed);
  }
  return count_error(std::move(status));
}

Status MeteredWalStore::sync() {
  const metrics::Stopwatch watch;
  Status status = inner_.sync();
  metrics_.wal_sync_seconds.observe(watch.elapsed());
  metrics_.wal_syncs.fetch_add(1, std::memory_order_relaxed);
  return count_error(std::move(status));
}

Status MeteredWalStore::record_positions(WalPositions positions) {
  return count_error(inner_.record_positions(positions));
}

Status MeteredWalStore::truncate(consensus::Lsn at) {
  return count_error(inner_.truncate(at));
}

Status MeteredControlStore::save(const consensus::AcceptorState& state) {
  const metrics::Stopwatch watch;
  Status status = inner_.save(state);
  metrics_.control_save_seconds.observe(watch.elapsed());
  metrics_.control_saves.fetch_add(1, std::memory_order_relaxed);
  if (!status) {
    metrics_.io_errors.fetch_add(1, std::memory_order_relaxed);
  }
  return status;
}

}  // namespace sk::storage
