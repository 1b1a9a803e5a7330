// Snapshots taken automatically, so that replay at a compute's start stays bounded: `skctl
// snapshot follow`, started by `compute start` beside each compute (--snapshot-every, default
// 1 GiB; 0: none), looks at the compute's WAL position every few seconds and takes a snapshot
// (pg_basebackup into the store, registered in the branch log) once that many bytes of WAL lie
// past the end of the newest snapshot a start of this branch would use. It runs as long as its
// compute does.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>

#include "consensus/result.h"
#include "safekeeper/skctl/compute.h"

namespace sk::skctl {

struct SnapshotSchedule {
  std::string tenant_id;
  std::string branch;
  int port = 0;  // The compute's.
  std::uint64_t every_bytes = 0;
  std::chrono::milliseconds check_interval{5000};
};

// Runs until the compute has been unreachable for a while (it stopped) or SIGTERM; returns the
// exit status (0).
int follow_with_snapshots(const ApiClient& api, const LocalSettings& local,
                          const SnapshotSchedule& schedule);

// "1GB", "512MB", "64kB", "0" or a plain number of bytes (PostgreSQL's units); nullopt otherwise.
std::optional<std::uint64_t> parse_byte_size(const std::string& text);

}  // namespace sk::skctl
