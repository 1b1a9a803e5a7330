// WalRemover: every interval, each hosted timeline's whole WAL segments below its removal horizon
// (branchmgr/removal_horizon.h, with the inputs BranchCommands::removal_inputs gathers) are
// removed, and its commit-time index forgets the commits below the WAL it keeps. The pass runs
// on the storage worker, whose thread owns the WAL stores; the timer is the I/O thread's.
//
// Readers are safe by the rule's terms: a compute's start replays from what a branch holds, a
// slot's reader from its restart LSN, a lagging peer from the peer horizon; a reader of anything
// below is told the WAL was removed (storage/wal_file_map.h).
#pragma once

#include <chrono>
#include <functional>
#include <memory>

#include "safekeeper/branchlog/branch_commands.h"
#include "safekeeper/branchlog/commit_time_indexer.h"
#include "safekeeper/node/node.h"

namespace boost::asio {
class io_context;
}

namespace sk::safekeeper {

class WalRemover {
 public:
  using PostToWorker = std::function<void(std::function<void()>)>;

  WalRemover(boost::asio::io_context& io, Node& node, const BranchCommands& commands,
             CommitTimeIndexer& commit_times, PostToWorker post_to_worker,
             std::chrono::seconds interval);
  ~WalRemover();
  WalRemover(const WalRemover&) = delete;
  WalRemover& operator=(const WalRemover&) = delete;

  // I/O thread. A zero interval never starts.
  void start();
  void stop();

  // One pass over every timeline; the storage worker's thread.
  void remove_once();

 private:
  struct Impl;
  std::shared_ptr<Impl> impl_;
};

}  // namespace sk::safekeeper
