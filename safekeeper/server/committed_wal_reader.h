// CommittedWalReader: the replication port's reads, split between the storage worker, which
// knows what is committed, and the WalReadPool, which reads it. Timelines may be touched on the
// worker's thread only, so the port's sessions ask through it: describe() gives a timeline's
// identity and committed LSN; read() describes the committed WAL from an LSN (a Composition,
// O(ancestors), no I/O) and hands the reading of its bytes to the pool at once if there are
// some, and otherwise parks the request until a round of the worker moves the commit LSN past
// it (after_round()): a caught-up reader is woken by the round that commits, not by polling,
// and still reads off the worker. A branch's log is composed of its ancestors' (ComposedWal),
// so a reader of a branch reads its parent's WAL up to the branch point, then the branch's own.
//
// Worker thread only, every member; `done` runs on a pool thread (or on the worker, with an
// error, when the description fails or the pool refuses).
#pragma once

#include <cstdint>
#include <functional>
#include <map>

#include "safekeeper/branchlog/composed_wal.h"
#include "safekeeper/server/wal_read_pool.h"
#include "safekeeper/walsender/replication_session.h"

namespace sk::safekeeper {

class CommittedWalReader {
 public:
  using Done = std::function<void(Result<walsender::WalChunk>)>;

  CommittedWalReader(const ComposedWal& wal, WalReadPool& pool) : wal_(wal), pool_(pool) {}

  // kNotFound for a timeline not hosted here (or kept aside as broken), or a branch whose
  // ancestors' timelines are not.
  Result<walsender::TimelineInfo> describe(const storage::TimelineKey& key) const;
  // Calls `done` with up to `max_bytes` of committed WAL from `from`, read by the pool now or
  // after a later round. One outstanding read per reader: a new one replaces a parked one.
  void read(std::uint64_t reader, const storage::TimelineKey& key, consensus::Lsn from,
            std::size_t max_bytes, Done done);
  // The reader is gone: forget its parked read.
  void cancel(std::uint64_t reader);
  // A round ran: hands the parked reads that now have WAL to the pool.
  void after_round();

  std::size_t parked() const { return parked_.size(); }

 private:
  struct Parked {
    storage::TimelineKey key;
    consensus::Lsn from;
    std::size_t max_bytes = 0;
    Done done;
  };
  // True if it answered or handed the read to the pool; false if nothing is committed past
  // `from` yet.
  bool try_answer(const Parked& request) const;

  const ComposedWal& wal_;
  WalReadPool& pool_;
  std::map<std::uint64_t, Parked> parked_;
};

}  // namespace sk::safekeeper
