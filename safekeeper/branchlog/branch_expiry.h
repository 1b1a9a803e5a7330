// BranchExpiry: deletes expired branches. Every second, if this node's branch-log writer is the
// elected one (so that one node, not every node, proposes), it proposes the deletion of one
// branch whose expiry has passed and which has no children and no protection: one BranchDeleted
// entry, committed and applied like any other (the timeline then leaves every node). A branch
// with children waits until they are gone. I/O thread only.
#pragma once

#include <chrono>
#include <memory>

#include "safekeeper/branchlog/branch_command_runner.h"
#include "safekeeper/branchlog/branch_log_writer.h"

namespace boost::asio {
class io_context;
}

namespace sk::safekeeper {

class BranchExpiry {
 public:
  static constexpr std::chrono::seconds kInterval{1};

  BranchExpiry(boost::asio::io_context& io, BranchCommandRunner& runner,
               const BranchLogWriter& writer);
  ~BranchExpiry();
  BranchExpiry(const BranchExpiry&) = delete;
  BranchExpiry& operator=(const BranchExpiry&) = delete;

  void start();
  void stop();

 private:
  struct Impl;
  std::shared_ptr<Impl> impl_;
};

}  // namespace sk::safekeeper
