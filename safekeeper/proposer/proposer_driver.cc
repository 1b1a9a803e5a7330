// ProposerDriver; see proposer_driver.h.
#include "safekeeper/proposer/proposer_driver.h"

#include <algorithm>

#include "consensus/check.h"

namespace sk::proposer {

using consensus::ProposerPhase;

ProposerDriver::ProposerDriver(consensus::ProposerConfig config, ProposerIo& io)
    : config_(config), proposer_(std::move(config)), io_(io) {}

void ProposerDriver::start() {
  carry_out(proposer_.start());
}

void ProposerDriver::tick() {
  carry_out(proposer_.tick());
  pump_wal();
}

void ProposerDriver::on_message(consensus::NodeId from, const consensus::Message& message) {
  auto ready = proposer_.step(from, message);
  if (!ready) {
    io_.drop_connection(from, ready.error());
    carry_out(proposer_.disconnected(from));
    return;
  }
  carry_out(std::move(*ready));
  pump_wal();
}

void ProposerDriver::on_connected(consensus::NodeId acceptor) {
  // Whatever the session knew belongs to the old connection: start over, greeting first.
  carry_out(proposer_.disconnected(acceptor));
}

void ProposerDriver::on_disconnected(consensus::NodeId acceptor) {
  carry_out(proposer_.disconnected(acceptor));
}

void ProposerDriver::on_wal_available() {
  pump_wal();
}

void ProposerDriver::carry_out(consensus::Ready ready) {
  // A proposer keeps nothing durable: its Readys hold connections to renew and messages.
  for (consensus::NodeId silent : ready.reconnect) {
    io_.drop_connection(
        silent, Error(ErrorCode::kUnavailable,
                      "acceptor " + std::to_string(silent.value()) + " went silent; reconnecting"));
  }
  for (const consensus::Outbound& out : ready.messages) {
    io_.send(out.to, out.message);
  }
  report();
}

void ProposerDriver::pump_wal() {
  propose_while_room();
  // A record is held back only while it does not fit under max_uncommitted_bytes.
  if (!held_.empty() && proposer_.phase() == ProposerPhase::kElected) {
    const std::uint64_t uncommitted = proposer_.end_lsn().bytes_since(proposer_.commit_lsn());
    SK_CHECK(uncommitted >= config_.max_uncommitted_bytes ||
             held_.size() > config_.max_uncommitted_bytes - uncommitted);
  }
}

void ProposerDriver::propose_while_room() {
  while (proposer_.phase() == ProposerPhase::kElected) {
    const std::uint64_t uncommitted = proposer_.end_lsn().bytes_since(proposer_.commit_lsn());
    if (uncommitted >= config_.max_uncommitted_bytes) {
      return;  // Back-pressure: wait for the commit LSN to move.
    }
    const std::uint64_t left = config_.max_uncommitted_bytes - uncommitted;
    std::vector<std::uint8_t> records =
        held_.empty()
            ? io_.read_wal(proposer_.end_lsn(),
                           static_cast<std::size_t>(std::min(left, config_.max_append_bytes)))
            : std::move(held_);
    held_.clear();
    if (records.empty()) {
      return;
    }
    if (records.size() > left) {
      held_ = std::move(records);  // A record larger than the room: it waits for commits.
      return;
    }
    const consensus::Lsn begin = proposer_.end_lsn();
    auto ready = proposer_.propose(records);
    // Elected and within the room computed above, propose() cannot refuse; the source has
    // handed the records over, so a refusal would lose WAL.
    SK_CHECK_MSG(ready.has_value(), ready.error().to_string());
    SK_CHECK(proposer_.end_lsn() == begin.plus_bytes(records.size()));
    SK_CHECK(proposer_.end_lsn().bytes_since(proposer_.commit_lsn()) <=
             config_.max_uncommitted_bytes);
    carry_out(std::move(*ready));
  }
}

void ProposerDriver::report() {
  // Reports are final: an election is not taken back by anything but fencing, and a commit LSN
  // never moves back (ProposerIo promises both).
  SK_CHECK(!reported_elected_ || proposer_.phase() == ProposerPhase::kElected ||
           proposer_.phase() == ProposerPhase::kFenced);
  SK_CHECK(!reported_elected_ || proposer_.commit_lsn() >= reported_commit_lsn_);
  SK_CHECK(!reported_fenced_ || proposer_.phase() == ProposerPhase::kFenced);
  if (!reported_elected_ && proposer_.phase() == ProposerPhase::kElected) {
    reported_elected_ = true;
    reported_commit_lsn_ = proposer_.commit_lsn();
    io_.on_elected(proposer_.term(), proposer_.term_start_lsn());
  }
  if (reported_elected_ && proposer_.commit_lsn() > reported_commit_lsn_) {
    reported_commit_lsn_ = proposer_.commit_lsn();
    io_.on_commit(reported_commit_lsn_);
  }
  if (!reported_fenced_ && proposer_.phase() == ProposerPhase::kFenced) {
    reported_fenced_ = true;
    io_.on_fenced(proposer_.term());
  }
}

}  // namespace sk::proposer
