// IoMetrics: what the node's storage did, counted by the metered store decorators
// (metered_stores.h) and read by the HTTP API's /metrics from another thread.
#pragma once

#include <atomic>
#include <cstdint>

#include "safekeeper/metrics/histogram.h"

namespace sk::storage {

struct IoMetrics {
  std::atomic<std::uint64_t> wal_bytes_written{0};
  std::atomic<std::uint64_t> wal_syncs{0};
  std::atomic<std::uint64_t> control_saves{0};
  // Storage errors returned to the layers above (ENOSPC, EIO, ...), WAL and control alike.
  std::atomic<std::uint64_t> io_errors{0};
  // WAL segment files removed below a removal horizon (retention).
  std::atomic<std::uint64_t> wal_segments_removed{0};
  metrics::Histogram wal_write_seconds;
  metrics::Histogram wal_sync_seconds;
  metrics::Histogram control_save_seconds;
};

}  // namespace sk::storage
