// WalReadPool: tasks run on the pool's threads, the queue is bounded (kUnavailable past it, the
// refused task dropped), and stop() runs what was queued before it, then refuses.
#include "safekeeper/server/wal_read_pool.h"

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <thread>

#include <gtest/gtest.h>

namespace sk::safekeeper {
namespace {

constexpr auto kDeadline = std::chrono::seconds(30);

TEST(WalReadPoolTest, TasksRunOnThePoolsThreads) {
  WalReadPool pool({.threads = 2, .max_queued = 16});
  std::mutex mutex;
  std::condition_variable ran;
  int count = 0;
  bool on_caller = false;
  const std::thread::id caller = std::this_thread::get_id();
  for (int i = 0; i < 10; ++i) {
    ASSERT_TRUE(pool.submit([&] {
                      std::lock_guard lock(mutex);
                      on_caller = on_caller || std::this_thread::get_id() == caller;
                      ++count;
                      ran.notify_all();
                    })
                    .has_value());
  }
  std::unique_lock lock(mutex);
  EXPECT_TRUE(ran.wait_for(lock, kDeadline, [&] { return count == 10; }));
  EXPECT_FALSE(on_caller);
}

TEST(WalReadPoolTest, FullQueue_RefusesWithUnavailable_StopRunsWhatWasQueued) {
  WalReadPool pool({.threads = 1, .max_queued = 3});
  std::mutex mutex;
  std::condition_variable changed;
  bool held = false;
  bool open = false;
  ASSERT_TRUE(pool.submit([&] {
                    std::unique_lock lock(mutex);
                    held = true;
                    changed.notify_all();
                    changed.wait(lock, [&] { return open; });
                  })
                  .has_value());
  {
    std::unique_lock lock(mutex);
    ASSERT_TRUE(changed.wait_for(lock, kDeadline, [&] { return held; }));
  }
  std::atomic<int> ran{0};
  for (int i = 0; i < 3; ++i) {
    ASSERT_TRUE(pool.submit([&] { ++ran; }).has_value());
  }
  Status refused = pool.submit([&] { ran += 100; });
  ASSERT_FALSE(refused.has_value());
  EXPECT_EQ(refused.error().code(), ErrorCode::kUnavailable);
  {
    std::lock_guard lock(mutex);
    open = true;
    changed.notify_all();
  }
  pool.stop();
  EXPECT_EQ(ran.load(), 3);
  EXPECT_EQ(pool.submit([] {}).error().code(), ErrorCode::kUnavailable);
}

}  // namespace
}  // namespace sk::safekeeper
