// SimDisk: pending WAL operations until fdatasync, atomic durable control state.
#include "tests/sim/sim_disk.h"

#include <algorithm>

#include "consensus/check.h"
#include "consensus/state_digest.h"

namespace sk::sim {

using consensus::Lsn;

SimDisk::SimDisk(consensus::AcceptorState initial, Lsn wal_start_lsn)
    : verified_up_to(wal_start_lsn),
      wal_start_lsn_(wal_start_lsn),
      durable_state_(std::move(initial)) {}

void SimDisk::apply(const consensus::Ready& ready, ReadyStage up_to) {
  if (up_to == ReadyStage::kNothing) {
    return;
  }
  if (ready.truncate_wal_at) {
    pending_.push_back({true, *ready.truncate_wal_at, {}});
  }
  if (ready.wal_write) {
    pending_.push_back({false, ready.wal_write->begin_lsn, ready.wal_write->bytes});
  }
  if (up_to == ReadyStage::kWalWritten) {
    return;
  }
  if (ready.must_sync) {
    sync();
  }
  if (up_to == ReadyStage::kWalSynced) {
    return;
  }
  if (ready.persist) {
    if (ready.persist->history != durable_state_.history) {
      verified_up_to = wal_start_lsn_;  // Relabelled: check every byte again.
    }
    durable_state_ = *ready.persist;
  }
}

void SimDisk::apply_op(std::vector<std::uint8_t>& wal, const PendingOp& op) const {
  SK_CHECK(op.lsn >= wal_start_lsn_);
  const std::size_t offset = op.lsn.bytes_since(wal_start_lsn_);
  if (op.is_truncate) {
    wal.resize(std::min(wal.size(), offset));
    return;
  }
  // Appends are strictly sequential in a correct acceptor; a gap would be a driver bug.
  SK_CHECK(offset <= wal.size());
  wal.resize(offset);
  wal.insert(wal.end(), op.bytes.begin(), op.bytes.end());
}

void SimDisk::sync() {
  ++sync_count_;
  for (const PendingOp& op : pending_) {
    apply_op(durable_wal_, op);
    if (op.is_truncate) {
      verified_up_to = std::min(verified_up_to, op.lsn);
    }
  }
  pending_.clear();
}

std::vector<std::uint8_t> SimDisk::read(Lsn begin, Lsn end) const {
  std::vector<std::uint8_t> visible = durable_wal_;
  for (const PendingOp& op : pending_) {
    apply_op(visible, op);
  }
  SK_CHECK(begin >= wal_start_lsn_ && begin <= end);
  const std::size_t from = begin.bytes_since(wal_start_lsn_);
  const std::size_t to = end.bytes_since(wal_start_lsn_);
  SK_CHECK(to <= visible.size());
  return {visible.begin() + static_cast<std::ptrdiff_t>(from),
          visible.begin() + static_cast<std::ptrdiff_t>(to)};
}

std::uint64_t SimDisk::digest() const {
  consensus::StateDigest digest;
  auto mix = [&digest](std::uint64_t value) { digest.mix(value); };
  for (std::uint8_t byte : durable_wal_) {
    mix(byte);
  }
  mix(durable_wal_.size());
  for (const PendingOp& op : pending_) {
    mix(op.is_truncate ? 1 : 2);
    mix(op.lsn.value());
    for (std::uint8_t byte : op.bytes) {
      mix(byte);
    }
  }
  mix(durable_state_.term.value());
  mix(durable_state_.commit_lsn.value());
  mix(durable_state_.truncate_lsn.value());
  mix(durable_state_.configuration.digest());
  for (const auto& entry : durable_state_.history.entries()) {
    mix(entry.term.value());
    mix(entry.lsn.value());
  }
  return digest.value();
}

}  // namespace sk::sim
