// StorageWorker: messages that arrive while an fdatasync runs share the next one; replies go back
// to the connection that sent the request; one connection's bad message or an unknown timeline
// affects that connection only; stop() finishes what was queued. Synchronised with condition
// variables (the test holds the fdatasync until it has queued what it wants), never sleeps.
#include "safekeeper/server/storage_worker.h"

#include <chrono>
#include <condition_variable>
#include <future>
#include <map>
#include <mutex>

#include <gtest/gtest.h>

#include "safekeeper/storage/memory_control_store.h"
#include "safekeeper/storage/memory_wal_store.h"
#include "tests/unit/consensus/test_timeline.h"

namespace sk::safekeeper {
namespace {

using namespace sk::consensus;
using consensus::test_support::at;
using consensus::test_support::kStart;
using consensus::test_support::test_identity;

constexpr auto kDeadline = std::chrono::seconds(30);
const NodeId kNode(1);

// A MemoryWalStore whose sync() waits while the gate is closed, and says when it is waiting.
class GatedWalStore final : public storage::WalStore {
 public:
  explicit GatedWalStore(Lsn start) : inner_(start) {}
  Lsn start_lsn() const override { return inner_.start_lsn(); }
  Lsn end_lsn() const override { return inner_.end_lsn(); }
  Lsn flush_lsn() const override { return inner_.flush_lsn(); }
  Status append(Lsn begin, std::span<const std::uint8_t> bytes) override {
    return inner_.append(begin, bytes);
  }
  Status sync() override {
    std::unique_lock lock(mutex_);
    waiting_ = true;
    changed_.notify_all();
    changed_.wait(lock, [this] { return open_; });
    waiting_ = false;
    return inner_.sync();
  }
  Status record_positions(storage::WalPositions positions) override {
    return inner_.record_positions(positions);
  }
  std::optional<storage::WalPositions> positions() const override { return inner_.positions(); }
  Status truncate(Lsn at) override { return inner_.truncate(at); }
  Result<std::vector<std::uint8_t>> read(Lsn begin, Lsn end) const override {
    return inner_.read(begin, end);
  }
  std::shared_ptr<const storage::DurableWalReader> durable_reader() const override {
    return inner_.durable_reader();
  }

  void close_gate() {
    std::lock_guard lock(mutex_);
    open_ = false;
  }
  void open_gate() {
    std::lock_guard lock(mutex_);
    open_ = true;
    changed_.notify_all();
  }
  bool wait_until_syncing() {
    std::unique_lock lock(mutex_);
    return changed_.wait_for(lock, kDeadline, [this] { return waiting_; });
  }
  std::uint64_t syncs() const { return inner_.syncs(); }

 private:
  storage::MemoryWalStore inner_;
  std::mutex mutex_;
  std::condition_variable changed_;
  bool open_ = true;
  bool waiting_ = false;
};

class StorageWorkerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto created = Timeline::create(kNode, test_identity(), control_, wal_);
    ASSERT_TRUE(created.has_value()) << created.error().to_string();
    timeline_ = std::move(*created);
    worker_ = std::make_unique<StorageWorker>([this](const storage::TimelineKey& key) {
      return key == key_ ? timeline_.get() : nullptr;
    });
    worker_->start([this](std::vector<StorageWorker::Completion> completions) {
      std::lock_guard lock(mutex_);
      for (auto& c : completions) {
        completions_.push_back(std::move(c));
      }
      delivered_.notify_all();
    });
  }
  void TearDown() override { worker_->stop(); }

  void enqueue(std::uint64_t connection, Message message, storage::TimelineKey key = {}) {
    worker_->enqueue(
        {connection, key == storage::TimelineKey{} ? key_ : key, NodeId(101), std::move(message)});
  }
  // Waits until `count` replies and errors in total have been delivered.
  bool wait_for(std::size_t count) {
    std::unique_lock lock(mutex_);
    return delivered_.wait_for(lock, kDeadline, [&] { return delivered_count() >= count; });
  }
  std::size_t delivered_count() const {
    std::size_t n = 0;
    for (const auto& c : completions_) {
      n += c.replies.size() + (c.error ? 1 : 0);
    }
    return n;
  }
  void elect() {
    enqueue(1, VoteRequest{Term(1)});
    enqueue(1,
            ProposerElected{Term(1), kStart, TermHistory({{Term(0), kStart}, {Term(1), kStart}})});
    ASSERT_TRUE(wait_for(2));
  }
  AppendRequest append(std::uint64_t from, std::uint64_t size) {
    return AppendRequest{Term(1), at(from), at(from + size),
                         kStart,  kStart,   std::vector<std::uint8_t>(size, 1)};
  }

  storage::MemoryControlStore control_;
  GatedWalStore wal_{kStart};
  const storage::TimelineKey key_{test_identity().tenant_id, test_identity().timeline_id};
  std::unique_ptr<Timeline> timeline_;
  std::mutex mutex_;
  std::condition_variable delivered_;
  std::vector<StorageWorker::Completion> completions_;
  std::unique_ptr<StorageWorker> worker_;
};

TEST_F(StorageWorkerTest, MessagesArrivingDuringAnFdatasync_ShareTheNextOne) {
  elect();
  const std::uint64_t syncs_before = wal_.syncs();
  wal_.close_gate();
  enqueue(1, append(0, 100));
  ASSERT_TRUE(wal_.wait_until_syncing());  // Round one is inside its fdatasync.
  enqueue(1, append(100, 100));
  enqueue(2, append(200, 100));
  enqueue(1, append(300, 100));
  wal_.open_gate();
  ASSERT_TRUE(wait_for(2 + 4));
  EXPECT_EQ(wal_.syncs(), syncs_before + 2);  // Not 4.
  EXPECT_EQ(timeline_->acceptor().flush_lsn(), at(400));
  // Replies went to the connection that sent each request.
  std::map<std::uint64_t, std::size_t> replies;
  for (const auto& c : completions_) {
    EXPECT_FALSE(c.error.has_value());
    replies[c.connection] += c.replies.size();
  }
  EXPECT_EQ(replies[1], 2u + 3u);  // Vote, elected, three appends.
  EXPECT_EQ(replies[2], 1u);
}

TEST_F(StorageWorkerTest, UnknownTimeline_FailsThatConnectionOnly) {
  elect();
  storage::TimelineKey other = key_;
  other.timeline_id = *TimelineId::parse_hex("00000000000000000000000000000009");
  enqueue(7, VoteRequest{Term(2)}, other);
  enqueue(8, append(0, 100));
  ASSERT_TRUE(wait_for(2 + 2));
  std::lock_guard lock(mutex_);
  for (const auto& c : completions_) {
    if (c.connection == 7) {
      ASSERT_TRUE(c.error.has_value());
      EXPECT_EQ(c.error->code(), ErrorCode::kNotFound);
    } else {
      EXPECT_FALSE(c.error.has_value());
    }
  }
}

TEST_F(StorageWorkerTest, BadMessage_FailsItsConnectionAndSkipsItsLaterMessages) {
  elect();
  wal_.close_gate();
  enqueue(5, append(0, 100));  // Holds round one in its fdatasync.
  ASSERT_TRUE(wal_.wait_until_syncing());
  AppendRequest malformed = append(100, 100);
  malformed.wal.resize(3);
  enqueue(3, malformed);
  enqueue(3, append(100, 100));  // After its connection failed: not submitted.
  enqueue(4, append(100, 100));
  wal_.open_gate();
  ASSERT_TRUE(wait_for(2 + 1 + 1 + 1));
  std::unique_lock lock(mutex_);
  for (const auto& c : completions_) {
    if (c.connection == 3) {
      ASSERT_TRUE(c.error.has_value());
      EXPECT_EQ(c.error->code(), ErrorCode::kMalformedMessage);
      EXPECT_TRUE(c.replies.empty());
    }
  }
  EXPECT_EQ(timeline_->acceptor().flush_lsn(), at(200));  // Connection 4's append, not 3's.
  completions_.clear();
  lock.unlock();
  // In a later round too, the failed connection's messages are skipped until it is closed.
  enqueue(3, append(200, 100));
  ASSERT_TRUE(wait_for(0));
  worker_->stop();
  EXPECT_EQ(timeline_->acceptor().flush_lsn(), at(200));
}

TEST_F(StorageWorkerTest, Stop_FinishesEverythingQueuedBeforeIt) {
  elect();
  for (std::uint64_t i = 0; i < 20; ++i) {
    enqueue(1, append(i * 10, 10));
  }
  worker_->stop();
  EXPECT_EQ(delivered_count(), 2u + 20u);
  EXPECT_EQ(timeline_->acceptor().flush_lsn(), at(200));
  EXPECT_EQ(wal_.flush_lsn(), at(200));
  EXPECT_EQ(worker_->stats().messages, 22u);
}

// Background work that follows the log (the commit-time index) runs between rounds for as long
// as it says more is left, starting once when the thread starts, and stops when it says done.
TEST(StorageWorkerBackground, AfterRoundRunsAgainWhileItHasMoreToDo_ThenWaits) {
  std::mutex mutex;
  std::condition_variable called;
  int calls = 0;
  StorageWorker worker([](const storage::TimelineKey&) -> Timeline* { return nullptr; }, {},
                       [&] {
                         std::lock_guard lock(mutex);
                         ++calls;
                         called.notify_all();
                         return calls < 5;
                       });
  worker.start([](std::vector<StorageWorker::Completion>) {});
  {
    std::unique_lock lock(mutex);
    ASSERT_TRUE(called.wait_for(lock, std::chrono::seconds(10), [&] { return calls >= 5; }));
  }
  // Done: a task (no round) does not call it again.
  std::promise<void> ran;
  worker.post([&ran] { ran.set_value(); });
  ASSERT_EQ(ran.get_future().wait_for(std::chrono::seconds(10)), std::future_status::ready);
  worker.stop();
  std::lock_guard lock(mutex);
  EXPECT_EQ(calls, 5);
}

}  // namespace
}  // namespace sk::safekeeper
