// BranchCommandRunner: the one place a branch request crosses threads. A read runs on the
// worker thread, where the view and the timelines live. A change is decided there
// (BranchCommands), proposed through this node's BranchLogWriter on the I/O thread, and
// finished on the worker thread again from the outcome of applying the committed entry here:
// a conflicting change that another node got committed first turns into its refusal.
//
// Every callback given to it runs on the worker thread, exactly once. The runner must outlive
// both threads' runs (the daemon stops them before it destroys anything).
#pragma once

#include <chrono>
#include <functional>

#include "branchmgr/branch_view.h"
#include "consensus/result.h"
#include "safekeeper/branchlog/branch_commands.h"
#include "safekeeper/branchlog/branch_log_applier.h"
#include "safekeeper/branchlog/branch_log_writer.h"

namespace sk::safekeeper {

class BranchCommandRunner {
 public:
  using Post = std::function<void(std::function<void()>)>;
  // The commands to read from, or why nothing can be read (the applier stopped).
  using Read = std::function<void(Result<const BranchCommands*>)>;
  using Decide = std::function<Result<BranchDecision>(BranchCommands&)>;
  // The object as the change left it (or as a repeat found it), or why the change failed.
  using Finish = std::function<void(const BranchCommands&, Result<branchmgr::Object>)>;

  // How long a change may wait for a quorum before it fails.
  static constexpr std::chrono::seconds kWriteDeadline{5};

  // `writer` nullptr: this node holds no branch log, and every change fails with kUnavailable.
  BranchCommandRunner(BranchCommands& commands, const BranchLogApplier& applier,
                      BranchLogWriter* writer, Post run_on_worker, Post run_on_io);

  void read(Read read);
  void change(Decide decide, Finish finish);

 private:
  void propose(proto::BranchLogEntry entry, Finish finish);
  Result<branchmgr::Object> applied(const consensus::ProposalId& proposal,
                                    consensus::Lsn end) const;

  BranchCommands& commands_;
  const BranchLogApplier& applier_;
  BranchLogWriter* writer_;
  Post run_on_worker_;
  Post run_on_io_;
};

}  // namespace sk::safekeeper
