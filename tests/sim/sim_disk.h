// SimDisk: one acceptor's storage in the simulator. WAL writes and truncations stay pending until
// an fdatasync; a crash drops whatever is pending. The control state is stored atomically and
// durably (as an LMDB commit is). Applies a Ready exactly in the order ready.h prescribes, and can
// stop part-way through one to simulate a crash inside the driver.
#pragma once

#include <cstdint>
#include <vector>

#include "consensus/acceptor_state.h"
#include "consensus/ready.h"

namespace sk::sim {

// How far into a Ready the driver got before a crash.
enum class ReadyStage : std::uint8_t {
  kNothing,     // crashed before touching the disk
  kWalWritten,  // truncate and write issued, not synced
  kWalSynced,   // fdatasync done, state not persisted
  kAll,         // everything durable (messages may be sent)
};

class SimDisk {
 public:
  SimDisk(consensus::AcceptorState initial, consensus::Lsn wal_start_lsn);

  void apply(const consensus::Ready& ready, ReadyStage up_to = ReadyStage::kAll);
  // Power loss: pending WAL operations are gone.
  void crash() { pending_.clear(); }
  bool has_pending() const { return !pending_.empty(); }

  // Bytes [begin, end) as a reader would see them now (durable plus pending).
  std::vector<std::uint8_t> read(consensus::Lsn begin, consensus::Lsn end) const;

  consensus::Lsn wal_start_lsn() const { return wal_start_lsn_; }
  consensus::Lsn durable_end_lsn() const { return wal_start_lsn_.plus_bytes(durable_wal_.size()); }
  const std::vector<std::uint8_t>& durable_wal() const { return durable_wal_; }
  const consensus::AcceptorState& durable_state() const { return durable_state_; }
  std::uint64_t sync_count() const { return sync_count_; }
  // Digest of the durable and pending contents, for the explorer's visited set.
  std::uint64_t digest() const;

  // Checker bookkeeping: durable bytes below this LSN were verified against the durable history.
  consensus::Lsn verified_up_to;

 private:
  struct PendingOp {
    bool is_truncate;
    consensus::Lsn lsn;
    std::vector<std::uint8_t> bytes;
  };
  void apply_op(std::vector<std::uint8_t>& wal, const PendingOp& op) const;
  void sync();

  consensus::Lsn wal_start_lsn_;
  std::vector<std::uint8_t> durable_wal_;
  std::vector<PendingOp> pending_;
  consensus::AcceptorState durable_state_;
  std::uint64_t sync_count_ = 0;
};

}  // namespace sk::sim
