// BranchCommandRunner; see branch_command_runner.h.
#include "safekeeper/branchlog/branch_command_runner.h"

#include "branchmgr/log_records.h"

namespace sk::safekeeper {

BranchCommandRunner::BranchCommandRunner(BranchCommands& commands, const BranchLogApplier& applier,
                                         BranchLogWriter* writer, Post run_on_worker,
                                         Post run_on_io)
    : commands_(commands),
      applier_(applier),
      writer_(writer),
      run_on_worker_(std::move(run_on_worker)),
      run_on_io_(std::move(run_on_io)) {}

void BranchCommandRunner::read(Read read) {
  run_on_worker_([this, read = std::move(read)] {
    if (applier_.failure()) {
      read(*applier_.failure());
      return;
    }
    read(&commands_);
  });
}

void BranchCommandRunner::change(Decide decide, Finish finish) {
  run_on_worker_([this, decide = std::move(decide), finish = std::move(finish)]() mutable {
    if (writer_ == nullptr) {
      finish(commands_, Error(ErrorCode::kUnavailable,
                              "this safekeeper runs without --peers: it holds no branch log "
                              "to change"));
      return;
    }
    if (applier_.failure()) {
      finish(commands_, *applier_.failure());
      return;
    }
    auto decision = decide(commands_);
    if (!decision) {
      finish(commands_, decision.error());
      return;
    }
    if (auto* found = std::get_if<branchmgr::Object>(&*decision)) {
      finish(commands_, std::move(*found));
      return;
    }
    propose(std::get<proto::BranchLogEntry>(std::move(*decision)), std::move(finish));
  });
}

// From the worker thread to the I/O thread (the writer's) and back.
void BranchCommandRunner::propose(proto::BranchLogEntry entry, Finish finish) {
  run_on_io_([this, entry = std::move(entry), finish = std::move(finish)]() mutable {
    const consensus::ProposalId proposal = entry.proposal_id;
    writer_->propose(branchmgr::encode_record(entry),
                     BranchLogWriter::Clock::now() + kWriteDeadline,
                     [this, proposal, finish = std::move(finish)](Result<consensus::Lsn> end) {
                       run_on_worker_([this, proposal, end, finish] {
                         finish(commands_, end ? applied(proposal, *end) : end.error());
                       });
                     });
  });
}

Result<branchmgr::Object> BranchCommandRunner::applied(const consensus::ProposalId& proposal,
                                                       consensus::Lsn end) const {
  const branchmgr::Outcome* outcome = applier_.view().outcome(proposal);
  if (outcome == nullptr) {
    return Error(ErrorCode::kUnavailable,
                 "the change is committed (branch log LSN " + end.to_string() +
                     ") but not yet applied on this safekeeper; read it again shortly");
  }
  if (outcome->error) {
    return *outcome->error;
  }
  return outcome->object;
}

}  // namespace sk::safekeeper
