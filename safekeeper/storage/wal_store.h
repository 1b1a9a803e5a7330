// WalStore: one timeline's WAL, written at its end, made durable by sync(), cut back by
// truncate() and read back by LSN. The acceptor's driver carries out a Ready's truncate_wal_at,
// wal_write and must_sync through it, in that order (consensus/ready.h); several Readys may
// share one sync() (group commit) as long as no reply leaves before it returned.
//
// A store is used from one thread (the storage worker's). durable_reader() is the exception:
// readers of committed WAL use what it returns from their own threads.
//
// Implementations: FileWalStore (segment files of checksummed frames, file_wal_store.h) and, for
// tests of the layers above, an in-memory twin.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <vector>

#include "consensus/result.h"
#include "consensus/types.h"
#include "safekeeper/storage/durable_wal_reader.h"

namespace sk::storage {

// The acceptor's commit and truncate LSN, as recorded in the WAL.
struct WalPositions {
  consensus::Lsn commit_lsn;
  consensus::Lsn truncate_lsn;
  friend bool operator==(const WalPositions&, const WalPositions&) = default;
};

class WalStore {
 public:
  virtual ~WalStore() = default;

  // The timeline's first LSN; the log is [start_lsn(), end_lsn()).
  virtual consensus::Lsn start_lsn() const = 0;
  // End of what append() has written.
  virtual consensus::Lsn end_lsn() const = 0;
  // End of what is durable: end_lsn() as of the last successful sync() or truncate().
  virtual consensus::Lsn flush_lsn() const = 0;

  // Writes `bytes` at `begin`, which must be end_lsn() (kInvalidArgument otherwise). Not durable
  // until sync(). kNoSpace when the disk is full; the log is then unchanged.
  virtual Status append(consensus::Lsn begin, std::span<const std::uint8_t> bytes) = 0;
  // Makes every append so far durable. A failed fdatasync leaves the store refusing everything
  // (the kernel may have dropped the unsynced pages; only a restart's recovery can tell what is
  // on disk).
  virtual Status sync() = 0;
  // Records the acceptor's commit and truncate LSN (commit at most end_lsn()), durable with the
  // next sync(). The acceptor's driver uses it for changes of these positions alone: they then
  // ride on the WAL's fdatasync instead of costing a control-store commit each.
  virtual Status record_positions(WalPositions positions) = 0;
  // The last positions recorded and synced (as recovered at start-up, then as recorded since).
  virtual std::optional<WalPositions> positions() const = 0;
  // Drops every byte at and after `at` (start_lsn() <= at <= end_lsn()); durable on return.
  virtual Status truncate(consensus::Lsn at) = 0;
  // The bytes [begin, end), within [start_lsn(), end_lsn()).
  virtual Result<std::vector<std::uint8_t>> read(consensus::Lsn begin,
                                                 consensus::Lsn end) const = 0;
  // Reads this WAL from other threads while this one goes on writing it: for the committed,
  // durable range only (durable_wal_reader.h says why that is safe). The reader stays valid
  // after the store is destroyed (a timeline reopened after a failure gets a new store).
  virtual std::shared_ptr<const DurableWalReader> durable_reader() const = 0;
};

}  // namespace sk::storage
