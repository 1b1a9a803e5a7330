// The snapshot store: base backups of computes kept as plain PostgreSQL data directories, one
// per snapshot (STORE/TENANT/SNAPSHOT_ID/, pg_basebackup's plain format with its
// backup_manifest), each known to the cluster through a SnapshotRegistered entry in the branch
// log with its WAL range and a checksum of its backup_manifest. A compute starts from a clone of
// one (clone_tree.h): on a file system that clones, O(1) in the database's size.
//
// A snapshot is verified against its manifest (pg_verifybackup: every file's size and checksum)
// before its first use; a marker beside it (SNAPSHOT_ID.verified) records that it passed, so
// later uses cost nothing. Only locations inside the store are ever read.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>

#include "consensus/result.h"
#include "consensus/types.h"
#include "safekeeper/skctl/clone_tree.h"

namespace sk::skctl {

struct TakenSnapshot {
  std::string snapshot_id;
  std::filesystem::path location;
  consensus::Lsn start_lsn;  // Where replay must begin (the backup's checkpoint redo).
  consensus::Lsn end_lsn;    // Where the backup is consistent.
  std::string checksum;      // Of backup_manifest, which holds every file's own checksum.
  std::uint64_t size_bytes = 0;
};

class SnapshotStore {
 public:
  explicit SnapshotStore(std::filesystem::path root) : root_(std::move(root)) {}

  const std::filesystem::path& root() const { return root_; }

  // A base backup (pg_basebackup -Fp -X none: the WAL comes from the safekeepers) of the
  // PostgreSQL at host:port, fsynced by pg_basebackup, given to the postgres user (under root)
  // and moved into place once complete.
  Result<TakenSnapshot> take(const std::string& tenant_id, const std::filesystem::path& pg_bindir,
                             const std::string& host, int port) const;

  // Clones the snapshot at `location` into `pgdata` (created; must not exist or be empty),
  // without its backup_manifest; as the postgres user when skctl runs as root (verified and
  // extracted with that user's rights only, symbolic links out of the tree refused). Refused
  // (kInvalidArgument) unless `location` is inside the store; kCorruption when the manifest's
  // checksum is not `checksum` or, at first use, pg_verifybackup finds a file damaged (nothing is
  // left in `pgdata` then).
  Result<CloneReport> restore(const std::filesystem::path& location, const std::string& checksum,
                              const std::filesystem::path& pg_bindir,
                              const std::filesystem::path& pgdata) const;

  // What remove() did.
  enum class Removal {
    kRemoved,     // The directory and its marker are gone (or were already).
    kLeftInPlace  // `location` is not this store's STORE/TENANT/SNAPSHOT_ID: nothing touched.
  };

  // Removes a deleted snapshot's files: its `.verified` marker first, then its directory (a
  // crash in between leaves an unmarked directory, which nothing lists any more). Only the
  // store's own layout is touched: `location`, with `..` and symbolic links resolved, must be
  // STORE/<tenant>/<snapshot_id>; a location registered elsewhere (or naming the store, a
  // tenant's directory or another id) is left in place. kIoError if a removal fails.
  Result<Removal> remove(const std::string& snapshot_id,
                         const std::filesystem::path& location) const;

  // Whether the store's file system clones files (restores are then O(1) in bytes).
  bool clones() const;

 private:
  std::filesystem::path root_;
};

// "crc32c:" and 8 hex digits, over the file's bytes.
Result<std::string> file_checksum(const std::filesystem::path& path);

// The WAL range of a backup_manifest (its one "WAL-Ranges" item, PostgreSQL timeline 1).
Result<std::pair<consensus::Lsn, consensus::Lsn>> manifest_wal_range(const std::string& manifest);

// Whether `path` lies inside `dir` once both are made absolute and `..` and symbolic links
// resolved (as far as they exist).
bool is_inside(const std::filesystem::path& path, const std::filesystem::path& dir);

}  // namespace sk::skctl
