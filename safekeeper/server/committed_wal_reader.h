// CommittedWalReader: the storage worker's side of the PostgreSQL replication port. Timelines
// may be touched on the worker's thread only, so the port's sessions ask through it: describe()
// reads a timeline's identity and committed LSN; read() returns committed WAL from an LSN at
// once if there is some, and otherwise parks the request until a round of the worker moves the
// commit LSN past it (after_round()), so a caught-up reader is woken by the commit itself, not
// by polling. A branch's log is composed of its ancestors' (ComposedWal), so a reader of a
// branch reads its parent's WAL up to the branch point, then the branch's own.
//
// Worker thread only, every member.
#pragma once

#include <cstdint>
#include <functional>
#include <map>

#include "safekeeper/server/composed_wal.h"
#include "safekeeper/walsender/replication_session.h"

namespace sk::safekeeper {

class CommittedWalReader {
 public:
  using Done = std::function<void(Result<walsender::WalChunk>)>;

  explicit CommittedWalReader(const ComposedWal& wal) : wal_(wal) {}

  // kNotFound for a timeline not hosted here (or kept aside as broken), or a branch whose
  // ancestors' timelines are not.
  Result<walsender::TimelineInfo> describe(const storage::TimelineKey& key) const;
  // Calls `done` (on the worker thread) with up to `max_bytes` of committed WAL from `from`, now
  // or after a later round. One outstanding read per reader: a new one replaces a parked one.
  void read(std::uint64_t reader, const storage::TimelineKey& key, consensus::Lsn from,
            std::size_t max_bytes, Done done);
  // The reader is gone: forget its parked read.
  void cancel(std::uint64_t reader);
  // A round ran: answers the parked reads that now have WAL.
  void after_round();

  std::size_t parked() const { return parked_.size(); }

 private:
  struct Parked {
    storage::TimelineKey key;
    consensus::Lsn from;
    std::size_t max_bytes = 0;
    Done done;
  };
  // True if it answered (with WAL or an error); false if there is nothing committed yet.
  bool try_answer(const Parked& request) const;

  const ComposedWal& wal_;
  std::map<std::uint64_t, Parked> parked_;
};

}  // namespace sk::safekeeper
