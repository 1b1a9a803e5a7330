// ProposerDriver: runs a consensus::Proposer against a ProposerIo. It carries out each Ready
// (the proposer's Readys hold only messages), turns a protocol error by an acceptor into a
// dropped connection, pulls WAL from the source while the proposer has room for it (back-pressure:
// no more than max_uncommitted_bytes above the commit LSN), and reports election, commit and
// fencing. Single-threaded and free of I/O: the same driver runs under a simulation and in
// sk-loadgen or the walproposer.
#pragma once

#include <cstdint>
#include <vector>

#include "consensus/proposer.h"
#include "safekeeper/proposer/proposer_io.h"

namespace sk::proposer {

class ProposerDriver {
 public:
  ProposerDriver(consensus::ProposerConfig config, ProposerIo& io);

  // Greets every acceptor.
  void start();
  // One unit of time (ProposerConfig's timeouts count these).
  void tick();
  void on_message(consensus::NodeId from, const consensus::Message& message);
  // A new connection to `acceptor`: its session starts afresh with a greeting.
  void on_connected(consensus::NodeId acceptor);
  void on_disconnected(consensus::NodeId acceptor);
  // The WAL source has new records.
  void on_wal_available();

  const consensus::Proposer& proposer() const { return proposer_; }

 private:
  void carry_out(consensus::Ready ready);
  void pump_wal();
  void propose_while_room();
  void report();

  consensus::ProposerConfig config_;
  consensus::Proposer proposer_;
  ProposerIo& io_;
  // Records the source handed over that did not fit under max_uncommitted_bytes yet (one
  // record larger than what the commit LSN left room for).
  std::vector<std::uint8_t> held_;
  consensus::Lsn reported_commit_lsn_;
  bool reported_elected_ = false;
  bool reported_fenced_ = false;
};

}  // namespace sk::proposer
