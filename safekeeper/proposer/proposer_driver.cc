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
  // A chunk is held back only while it does not fit under max_uncommitted_bytes.
  if (!held_.empty() && proposer_.phase() == ProposerPhase::kElected && !diverged_) {
    const std::uint64_t uncommitted = proposer_.end_lsn().bytes_since(proposer_.commit_lsn());
    SK_CHECK(uncommitted >= config_.max_uncommitted_bytes ||
             held_.front().size() > config_.max_uncommitted_bytes - uncommitted);
  }
}

void ProposerDriver::propose_while_room() {
  while (proposer_.phase() == ProposerPhase::kElected && !diverged_) {
    const std::uint64_t uncommitted = proposer_.end_lsn().bytes_since(proposer_.commit_lsn());
    if (uncommitted >= config_.max_uncommitted_bytes) {
      return;  // Back-pressure: wait for the commit LSN to move.
    }
    const std::uint64_t left = config_.max_uncommitted_bytes - uncommitted;
    std::vector<std::uint8_t> records;
    if (held_.empty()) {
      records = io_.read_wal(proposer_.end_lsn(),
                             static_cast<std::size_t>(std::min(left, config_.max_append_bytes)));
    } else {
      records = std::move(held_.front());
      held_.pop_front();
    }
    if (records.empty()) {
      return;
    }
    if (records.size() > left) {
      // A record (or carried WAL) larger than the room: it waits for commits.
      held_.push_front(std::move(records));
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

void ProposerDriver::restart(const consensus::Configuration& newer) {
  SK_CHECK(proposer_.phase() == ProposerPhase::kSuperseded);
  if (reported_elected_) {
    // The buffer holds everything above the commit LSN (from the term start before the first
    // commit of the term): what a quorum may not hold yet.
    carried_begin_ = std::max(proposer_.commit_lsn(), proposer_.term_start_lsn());
    auto tail = proposer_.wal_from(carried_begin_);
    SK_CHECK(tail.has_value());
    carried_ = std::move(*tail);
  }  // Otherwise what an earlier restart carried is still to be proposed.
  config_.configuration = newer;
  config_.jitter_seed = config_.jitter_seed * 6364136223846793005ULL + 1442695040888963407ULL;
  proposer_ = consensus::Proposer(config_);
  reported_elected_ = false;
  reported_superseded_ = false;
  carry_out(proposer_.start());
}

bool ProposerDriver::resume_carried() {
  const consensus::Lsn start = proposer_.end_lsn();
  const consensus::Lsn carried_end = carried_begin_.plus_bytes(carried_.size());
  if (carried_.empty() || start == carried_end) {
    carried_.clear();
    return true;
  }
  // The new term's voters hold a prefix of what the old proposer appended (a quorum of the old
  // configuration is among them, so all it committed), unless another proposer wrote meanwhile.
  if (start < carried_begin_ || start > carried_end) {
    return false;
  }
  held_.emplace_front(
      carried_.begin() + static_cast<std::ptrdiff_t>(start.bytes_since(carried_begin_)),
      carried_.end());
  carried_.clear();
  return true;
}

void ProposerDriver::report() {
  // Reports are final: an election is not taken back by anything but fencing or a newer
  // configuration, and a commit LSN never moves back (ProposerIo promises both).
  SK_CHECK(!reported_elected_ || proposer_.phase() == ProposerPhase::kElected ||
           proposer_.phase() == ProposerPhase::kFenced ||
           proposer_.phase() == ProposerPhase::kSuperseded);
  SK_CHECK(!reported_fenced_ || proposer_.phase() == ProposerPhase::kFenced || diverged_);
  if (diverged_) {
    return;
  }
  if (!reported_elected_ && proposer_.phase() == ProposerPhase::kElected) {
    reported_elected_ = true;
    if (!resume_carried()) {
      // The log went on past what this driver appended: another proposer's WAL, which this
      // source cannot continue. As fenced: its primary must not commit any more.
      diverged_ = true;
      reported_fenced_ = true;
      io_.on_fenced(proposer_.term());
      return;
    }
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
  if (!reported_superseded_ && proposer_.phase() == ProposerPhase::kSuperseded) {
    reported_superseded_ = true;
    io_.on_superseded(*proposer_.newer_configuration());
  }
}

}  // namespace sk::proposer
