// The snapshot store: base backups of computes in a directory, one per snapshot
// (STORE/TENANT/SNAPSHOT_ID/ with pg_basebackup's base.tar and backup_manifest), each known to
// the cluster through a SnapshotRegistered entry in the branch log with its WAL range and a
// checksum of base.tar. Restoring checks the checksum before anything is extracted.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>

#include "consensus/result.h"
#include "consensus/types.h"

namespace sk::skctl {

struct TakenSnapshot {
  std::string snapshot_id;
  std::filesystem::path location;
  consensus::Lsn start_lsn;  // Where replay must begin (the backup's checkpoint redo).
  consensus::Lsn end_lsn;    // Where the backup is consistent.
  std::string checksum;
  std::uint64_t size_bytes = 0;
};

// A base backup (pg_basebackup -Ft -X none: the WAL comes from the safekeepers) of the
// PostgreSQL at host:port.
Result<TakenSnapshot> take_snapshot(const std::filesystem::path& store,
                                    const std::string& tenant_id,
                                    const std::filesystem::path& pg_bindir, const std::string& host,
                                    int port);

// Checks base.tar in `location` against `checksum`, then extracts it into `pgdata` (created;
// must not exist or be empty). kCorruption for a mismatch.
Status restore_snapshot(const std::filesystem::path& location, const std::string& checksum,
                        const std::filesystem::path& pgdata);

// "crc32c:" and 8 hex digits, over the file's bytes.
Result<std::string> file_checksum(const std::filesystem::path& path);

// The WAL range of a backup_manifest (its one "WAL-Ranges" item, PostgreSQL timeline 1).
Result<std::pair<consensus::Lsn, consensus::Lsn>> manifest_wal_range(const std::string& manifest);

}  // namespace sk::skctl
