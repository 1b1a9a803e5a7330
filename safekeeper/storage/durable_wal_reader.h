// DurableWalReader: reads a timeline's WAL from any thread, beside the one thread that appends,
// syncs and truncates it (the storage worker), so that readers (restore, computes starting on a
// branch, replication) never wait behind an fdatasync and never hold one up.
//
// What makes this safe is a rule of the protocol, not a lock around the WAL: an acceptor never
// truncates below its commit LSN (consensus/acceptor.cc refuses a ProposerElected that would).
// So bytes below a commit LSN the writer has published (and that are durable: below its flush
// LSN) never change again, and a reader told that LSN by the writer's thread may read them with
// no further coordination. Bytes above it may still be cut by a new term; read those on the
// writer's thread only.
//
// WAL removal (retention) takes whole segments below a removal horizon, which counts every
// reader the node must serve (branchmgr/removal_horizon.h). A read already under way finishes
// from the file it opened; one that starts later is refused with kNotFound, saying the WAL was
// removed (wal_file_map.h).
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
  // above); kNotFound if the store does not hold it (or no longer: removed), kIoError from the
  // file system.
  virtual Status read(consensus::Lsn begin, std::span<std::uint8_t> out) const = 0;
};

}  // namespace sk::storage
