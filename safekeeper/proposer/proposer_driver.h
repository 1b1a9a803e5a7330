// ProposerDriver: runs a consensus::Proposer against a ProposerIo. It carries out each Ready
// (the proposer's Readys hold only messages), turns a protocol error by an acceptor into a
// dropped connection, pulls WAL from the source while the proposer has room for it (back-pressure:
// no more than max_uncommitted_bytes above the commit LSN), and reports election, commit and
// fencing. Single-threaded and free of I/O: the same driver runs under a simulation and in
// sk-loadgen or the walproposer.
//
// A membership change supersedes the proposer (consensus/configuration.h); restart() replaces it
// with one of the newer configuration, which campaigns for a new term. That term may start below
// what the old proposer appended (the WAL a quorum did not hold yet): the driver keeps the old
// proposer's uncommitted WAL and proposes it again from the new term's start, so the WAL source
// goes on where it was and nothing it handed over is lost.
#pragma once

#include <cstdint>
#include <deque>
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
  // After ProposerIo::on_superseded: a proposer of `newer` (same id, fresh sessions) takes over
  // and greets every acceptor of it. The runner has connected to them beforehand.
  void restart(const consensus::Configuration& newer);

  const consensus::Proposer& proposer() const { return proposer_; }

 private:
  void carry_out(consensus::Ready ready);
  void pump_wal();
  void propose_while_room();
  void report();
  // Elected after a restart: queues the carried WAL from the new term's start. False when the
  // term starts outside it (another proposer's log).
  bool resume_carried();

  consensus::ProposerConfig config_;
  consensus::Proposer proposer_;
  ProposerIo& io_;
  // Records the source handed over that did not fit under max_uncommitted_bytes yet (one
  // record larger than what the commit LSN left room for).
  // Chunks, each proposed whole: the carried WAL of a restart, then a source's record.
  std::deque<std::vector<std::uint8_t>> held_;
  // The WAL a superseded proposer appended above its commit LSN, from carried_begin_: proposed
  // again by the next one from its term start (restart()).
  consensus::Lsn carried_begin_;
  std::vector<std::uint8_t> carried_;
  consensus::Lsn reported_commit_lsn_;
  bool reported_elected_ = false;
  bool reported_fenced_ = false;
  bool reported_superseded_ = false;
  bool diverged_ = false;  // See report(): stops for good, as fenced.
};

}  // namespace sk::proposer
