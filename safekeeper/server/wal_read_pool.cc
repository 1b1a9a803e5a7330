// WalReadPool; see wal_read_pool.h.
#include "safekeeper/server/wal_read_pool.h"

#include <utility>

#include "consensus/check.h"
#include "safekeeper/storage/file_io.h"

namespace sk::safekeeper {

WalReadPool::WalReadPool(WalReadPoolOptions options) : options_(options) {
  SK_CHECK(options_.threads > 0);
  threads_.reserve(options_.threads);
  for (std::size_t i = 0; i < options_.threads; ++i) {
    threads_.emplace_back([this] {
      // Readers wait a little longer on a busy machine; commits do not wait for readers.
      storage::lower_this_threads_priority();
      run();
    });
  }
}

WalReadPool::~WalReadPool() {
  stop();
}

Status WalReadPool::submit(std::function<void()> task) {
  {
    std::lock_guard lock(mutex_);
    if (stopping_) {
      return Error(ErrorCode::kUnavailable, "the safekeeper is stopping");
    }
    if (queue_.size() >= options_.max_queued) {
      return Error(ErrorCode::kUnavailable,
                   std::to_string(queue_.size()) + " WAL reads are queued already; retry shortly");
    }
    queue_.push_back(std::move(task));
  }
  wake_.notify_one();
  return {};
}

void WalReadPool::stop() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  for (std::thread& thread : threads_) {
    if (thread.joinable()) {
      thread.join();
    }
  }
}

void WalReadPool::run() {
  for (;;) {
    std::function<void()> task;
    {
      std::unique_lock lock(mutex_);
      wake_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
      if (queue_.empty()) {
        return;  // Stopping, and nothing left.
      }
      task = std::move(queue_.front());
      queue_.pop_front();
    }
    task();
  }
}

}  // namespace sk::safekeeper
