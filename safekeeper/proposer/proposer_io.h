// ProposerIo: everything the proposer driver needs from the world outside the consensus core,
// as Neon's walproposer_api is for its walproposer: a way to send to an acceptor, a way to drop
// a connection that broke the protocol, a source of WAL, and a place to report what happened.
// Time is the runner's: it calls ProposerDriver::tick() at a fixed interval (an Asio timer in a
// real process, virtual time in a simulation), so nothing here reads a clock.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "consensus/messages.h"
#include "consensus/result.h"
#include "consensus/types.h"

namespace sk::proposer {

class ProposerIo {
 public:
  virtual ~ProposerIo() = default;

  // Delivers `message` to `acceptor`, connecting first if there is no connection. Best effort:
  // what a broken connection loses, the proposer sends again. When a connection breaks, the
  // runner calls ProposerDriver::on_disconnected.
  virtual void send(consensus::NodeId acceptor, const consensus::Message& message) = 0;
  // Closes the connection to `acceptor`, which broke the protocol; the next send reconnects.
  virtual void drop_connection(consensus::NodeId acceptor, const Error& why) = 0;
  // The WAL source: whole records starting at `from` (the end of what was taken before), at most
  // `max_bytes` of them, except that a first record larger than that comes alone (PostgreSQL's
  // records can exceed any append size); empty when none is ready. What it returns is taken: it
  // is appended, once the uncommitted WAL leaves room for it.
  virtual std::vector<std::uint8_t> read_wal(consensus::Lsn from, std::size_t max_bytes) = 0;

  // Reports. Commit LSNs arrive in increasing order. on_elected comes once per proposer: again
  // after a restart() (a new term, whose start may be below what was taken: the driver proposes
  // that part again itself, so the source is never asked twice for the same WAL).
  virtual void on_elected(consensus::Term term, consensus::Lsn term_start_lsn) = 0;
  virtual void on_commit(consensus::Lsn commit_lsn) = 0;
  // Another proposer took over: nothing this one appends from now on can commit.
  virtual void on_fenced(consensus::Term term) = 0;
  // An acceptor is at `newer`, a configuration of a higher generation (a membership change):
  // nothing this proposer appends can commit any more. To go on, the runner connects to
  // `newer`'s acceptors and calls ProposerDriver::restart(newer), outside this call.
  virtual void on_superseded(const consensus::Configuration& newer) = 0;
};

}  // namespace sk::proposer
