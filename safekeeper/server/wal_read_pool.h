// WalReadPool: the threads that read WAL for readers (HTTP segment downloads and digests, the
// replication port), so that their I/O never runs on the storage worker, whose fdatasyncs every
// commit waits for (STYLE.md 20). A task gets a Composition (or a DurableWalReader) described
// on the worker and reads it with pread on descriptors of its own; it answers its caller itself
// (by posting to the I/O thread).
//
// Bounded: at most max_queued tasks wait; submit() refuses more with kUnavailable (the HTTP
// answer is then 503, a replication reader's connection is closed), so a crowd of readers
// costs queue slots, not unbounded memory.
#pragma once

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

#include "consensus/result.h"

namespace sk::safekeeper {

struct WalReadPoolOptions {
  std::size_t threads = 2;
  std::size_t max_queued = 1024;
};

class WalReadPool {
 public:
  explicit WalReadPool(WalReadPoolOptions options = {});
  // Stops as stop() does.
  ~WalReadPool();
  WalReadPool(const WalReadPool&) = delete;
  WalReadPool& operator=(const WalReadPool&) = delete;

  // Runs `task` on one of the pool's threads; tasks start in submission order. Any thread.
  // kUnavailable when max_queued tasks are waiting or the pool is stopping; `task` is then
  // dropped without running.
  Status submit(std::function<void()> task);
  // Runs every task already queued, then ends the threads. Later submits are refused. Call it
  // once nothing submits any more (the storage worker stopped), before what the tasks use goes.
  void stop();

 private:
  void run();

  const WalReadPoolOptions options_;
  std::mutex mutex_;
  std::condition_variable wake_;
  std::deque<std::function<void()>> queue_;  // Guarded by mutex_.
  bool stopping_ = false;                    // Guarded by mutex_.
  std::vector<std::thread> threads_;         // Last: started once everything above exists.
};

}  // namespace sk::safekeeper
