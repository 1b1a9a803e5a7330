// DurableWalReader: reads a timeline's WAL from any thread, beside the one thread that appends,
// syncs and truncates it (the storage worker), so that readers (restore, computes starting on a
// branch, replication) never wait behind an fdatasync and never hold one up.
//
// What makes this safe is a rule of the protocol, not a lock around the WAL: an acceptor never
// truncates below its commit LSN (consensus/acceptor.cc refuses a ProposerElected that would),
// and no WAL is ever removed today. So bytes below a commit LSN the writer has published (and
// that are durable: below its flush LSN) never change again, and a reader told that LSN by the
// writer's thread may read them with no further coordination. Bytes above it may still be cut
// by a new term; read those on the writer's thread only.
//
// When WAL removal (retention) comes, it must not take files from under a reader: either remove
// only segments below every reader's position, or let readers pin what they read (keep the
// files open, or refcount the segment until the last reader of it is done).
#pragma once

#include <cstdint>
#include <span>

#include "consensus/result.h"
#include "consensus/types.h"

namespace sk::storage {

class DurableWalReader {
 public:
  virtual ~DurableWalReader() = default;

  // Fills `out` with the WAL bytes [begin, begin + out.size()). Thread-safe. The caller must
  // have learnt from the writer's thread that the whole range is durable and committed (see
  // above); kNotFound if the store does not hold it, kIoError from the file system.
  virtual Status read(consensus::Lsn begin, std::span<std::uint8_t> out) const = 0;
};

}  // namespace sk::storage
