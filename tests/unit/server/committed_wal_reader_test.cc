// CommittedWalReader over real WAL files: a read returns exactly the committed bytes (across
// segment files, and along a branch's ancestry), never beyond the commit LSN; a read with
// nothing committed yet parks until the round that commits; the bytes are read on the
// WalReadPool, never on the thread that appends, so appends go on while reads are held up and
// a reader streaming behind a busy proposer still gets every committed byte in order.
// Synchronised with condition variables and deadlines, never sleeps.
#include "safekeeper/server/committed_wal_reader.h"

#include <chrono>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <thread>

#include <gtest/gtest.h>

#include "branchmgr/log_records.h"
#include "safekeeper/branchlog/branch_log_applier.h"
#include "safekeeper/server/storage_worker.h"
#include "safekeeper/storage/file_wal_store.h"
#include "safekeeper/storage/memory_control_store.h"
#include "safekeeper/storage/memory_wal_store.h"
#include "tests/support/temp_dir.h"
#include "tests/unit/consensus/test_timeline.h"

namespace sk::safekeeper {
namespace {

using namespace sk::consensus;
using consensus::test_support::kStart;
using consensus::test_support::test_identity;

constexpr auto kDeadline = std::chrono::seconds(30);
constexpr std::uint64_t kSeg = std::uint64_t{1} << 20;  // Small segments: cheap to cross.
const NodeId kNode(1);
const NodeId kProposer(101);

// Every WAL byte written is a function of its LSN, so any range read can be checked alone.
std::uint8_t byte_at(Lsn lsn) {
  return static_cast<std::uint8_t>((lsn.value() * 2654435761u) >> 11);
}
std::vector<std::uint8_t> wal_at(Lsn begin, std::uint64_t size) {
  std::vector<std::uint8_t> bytes(size);
  for (std::uint64_t i = 0; i < size; ++i) {
    bytes[i] = byte_at(begin.plus_bytes(i));
  }
  return bytes;
}

Lsn before(Lsn lsn, std::uint64_t bytes) {
  return Lsn(lsn.value() - bytes);
}

TimelineIdentity identity_of(std::string_view timeline_hex, Lsn start) {
  TimelineIdentity identity = test_identity();
  identity.timeline_id = *TimelineId::parse_hex(timeline_hex);
  identity.timeline_start_lsn = start;
  identity.wal_seg_size_bytes = kSeg;
  return identity;
}

// What a call of `done` delivered, and on which thread.
struct Answer {
  Result<walsender::WalChunk> chunk;
  std::thread::id thread;
};

// Collects answers from whichever thread gives them.
class Answers {
 public:
  CommittedWalReader::Done done() {
    return [this](Result<walsender::WalChunk> chunk) {
      std::lock_guard lock(mutex_);
      answers_.push_back({std::move(chunk), std::this_thread::get_id()});
      changed_.notify_all();
    };
  }
  std::optional<Answer> next() {
    std::unique_lock lock(mutex_);
    if (!changed_.wait_for(lock, kDeadline, [this] { return !answers_.empty(); })) {
      return std::nullopt;
    }
    Answer answer = std::move(answers_.front());
    answers_.pop_front();
    return answer;
  }
  std::size_t size() {
    std::lock_guard lock(mutex_);
    return answers_.size();
  }

 private:
  std::mutex mutex_;
  std::condition_variable changed_;
  std::deque<Answer> answers_;
};

// A pool task that holds its thread until opened: reads queued behind it are "in flight".
class Gate {
 public:
  void hold(WalReadPool& pool) {
    ASSERT_TRUE(pool.submit([this] {
                      std::unique_lock lock(mutex_);
                      held_ = true;
                      changed_.notify_all();
                      changed_.wait(lock, [this] { return open_; });
                    })
                    .has_value());
    std::unique_lock lock(mutex_);
    ASSERT_TRUE(changed_.wait_for(lock, kDeadline, [this] { return held_; }));
  }
  void open() {
    std::lock_guard lock(mutex_);
    open_ = true;
    changed_.notify_all();
  }

 private:
  std::mutex mutex_;
  std::condition_variable changed_;
  bool held_ = false;
  bool open_ = false;
};

class CommittedWalReaderTest : public ::testing::Test {
 protected:
  struct Hosted {
    std::unique_ptr<storage::WalStore> wal;
    std::unique_ptr<Timeline> timeline;
  };

  void SetUp() override { ASSERT_FALSE(dir_.path().empty()); }
  void TearDown() override {
    gate_.open();
    pool_.stop();
  }

  // A timeline on real files, elected in term 1.
  Timeline& host(const TimelineIdentity& identity) {
    auto opened = storage::FileWalStore::open(dir_.path() / identity.timeline_id.to_hex(),
                                              identity.timeline_start_lsn, kSeg);
    EXPECT_TRUE(opened.has_value()) << opened.error().to_string();
    return elect(identity, std::move(opened->store));
  }
  Timeline& elect(const TimelineIdentity& identity, std::unique_ptr<storage::WalStore> wal) {
    auto created = Timeline::create(kNode, identity, control_, *wal);
    EXPECT_TRUE(created.has_value()) << created.error().to_string();
    Timeline& timeline = **created;
    const Lsn start = identity.timeline_start_lsn;
    submit(timeline, VoteRequest{Term(1)});
    submit(timeline,
           ProposerElected{Term(1), start, TermHistory({{Term(0), start}, {Term(1), start}})});
    hosted_[{identity.tenant_id, identity.timeline_id}] = {std::move(wal), std::move(*created)};
    return timeline;
  }
  void submit(Timeline& timeline, const Message& message) {
    Status submitted = timeline.submit(kProposer, message);
    ASSERT_TRUE(submitted.has_value()) << submitted.error().to_string();
    auto replies = timeline.commit_batch();
    ASSERT_TRUE(replies.has_value()) << replies.error().to_string();
  }
  // Appends `bytes` at the timeline's end in one batch, with `commit` as the commit LSN.
  void append(Timeline& timeline, const std::vector<std::uint8_t>& bytes, Lsn commit) {
    const Lsn begin = timeline.flush_lsn();
    const Lsn end = begin.plus_bytes(bytes.size());
    submit(timeline, AppendRequest{Term(1), begin, end, commit, Lsn(0), bytes});
    if (commit > begin) {  // Adopted once held: say it again now that it is.
      submit(timeline, AppendRequest{Term(1), end, end, commit, Lsn(0), {}});
    }
    ASSERT_EQ(timeline.durable_state().commit_lsn, commit);
  }
  // Appends the pattern's bytes from the end up to `end`, committed up to `commit`.
  void append_to(Timeline& timeline, Lsn end, Lsn commit) {
    append(timeline, wal_at(timeline.flush_lsn(), end.bytes_since(timeline.flush_lsn())), commit);
  }

  Timeline* lookup(const storage::TimelineKey& key) {
    auto it = hosted_.find(key);
    return it == hosted_.end() ? nullptr : it->second.timeline.get();
  }

  sk::testing::TempDir dir_{"sk_reader"};
  storage::MemoryControlStore control_;
  std::map<storage::TimelineKey, Hosted> hosted_;
  WalReadPool pool_{{.threads = 1, .max_queued = 64}};
  Gate gate_;
  Answers answers_;
};

// --- One timeline -----------------------------------------------------------------------------

class OneTimelineTest : public CommittedWalReaderTest {
 protected:
  void SetUp() override {
    CommittedWalReaderTest::SetUp();
    timeline_ = &host(identity_of("00000000000000000000000000000001", kStart));
  }
  const storage::TimelineKey key_{test_identity().tenant_id,
                                  *TimelineId::parse_hex("00000000000000000000000000000001")};
  Timeline* timeline_ = nullptr;
  const ComposedWal composed_{[this](const storage::TimelineKey& key) { return lookup(key); },
                              nullptr};
  CommittedWalReader reader_{composed_, pool_};
};

TEST_F(OneTimelineTest, Read_ReturnsExactlyTheCommittedBytes_AcrossSegmentFiles) {
  append_to(*timeline_, kStart.plus_bytes(2 * kSeg + 500), kStart.plus_bytes(2 * kSeg + 500));
  const Lsn from = kStart.plus_bytes(kSeg - 300);
  reader_.read(1, key_, from, kSeg + 600, answers_.done());
  auto answer = answers_.next();
  ASSERT_TRUE(answer.has_value());
  ASSERT_TRUE(answer->chunk.has_value()) << answer->chunk.error().to_string();
  EXPECT_EQ(answer->chunk->start, from);
  EXPECT_EQ(answer->chunk->bytes, wal_at(from, kSeg + 600));
  EXPECT_EQ(answer->chunk->committed, kStart.plus_bytes(2 * kSeg + 500));
  EXPECT_NE(answer->thread, std::this_thread::get_id());  // Read on the pool, not here.
}

TEST_F(OneTimelineTest, Read_NeverReturnsBeyondTheCommitLsn) {
  const Lsn commit = kStart.plus_bytes(kSeg + 100);
  append_to(*timeline_, kStart.plus_bytes(kSeg + 5000), commit);  // Durable, partly committed.
  reader_.read(1, key_, before(commit, 40), 4096, answers_.done());
  auto answer = answers_.next();
  ASSERT_TRUE(answer.has_value());
  ASSERT_TRUE(answer->chunk.has_value()) << answer->chunk.error().to_string();
  EXPECT_EQ(answer->chunk->bytes, wal_at(before(commit, 40), 40));
  EXPECT_EQ(answer->chunk->committed, commit);
  // At the commit LSN there is nothing to read: the read parks, however much is durable.
  reader_.read(1, key_, commit, 4096, answers_.done());
  EXPECT_EQ(reader_.parked(), 1u);
  EXPECT_EQ(answers_.size(), 0u);
}

TEST_F(OneTimelineTest, ParkedRead_IsWokenByTheRoundThatCommits_AndReadOnThePool) {
  const Lsn first = kStart.plus_bytes(1000);
  append_to(*timeline_, first, first);
  reader_.read(7, key_, first, 1 << 20, answers_.done());
  ASSERT_EQ(reader_.parked(), 1u);
  reader_.after_round();  // A round that committed nothing: still parked.
  ASSERT_EQ(reader_.parked(), 1u);

  const Lsn second = kStart.plus_bytes(kSeg + 10);
  append_to(*timeline_, second, second);
  reader_.after_round();
  EXPECT_EQ(reader_.parked(), 0u);
  auto answer = answers_.next();
  ASSERT_TRUE(answer.has_value());
  ASSERT_TRUE(answer->chunk.has_value()) << answer->chunk.error().to_string();
  EXPECT_EQ(answer->chunk->bytes, wal_at(first, second.bytes_since(first)));
  EXPECT_NE(answer->thread, std::this_thread::get_id());
}

TEST_F(OneTimelineTest, CancelledReader_IsNotAnswered) {
  append_to(*timeline_, kStart.plus_bytes(100), kStart.plus_bytes(100));
  reader_.read(3, key_, kStart.plus_bytes(100), 100, answers_.done());
  reader_.cancel(3);
  append_to(*timeline_, kStart.plus_bytes(200), kStart.plus_bytes(200));
  reader_.after_round();
  EXPECT_EQ(reader_.parked(), 0u);
  EXPECT_EQ(answers_.size(), 0u);
}

TEST_F(OneTimelineTest, UnknownTimeline_IsNotFound) {
  storage::TimelineKey other = key_;
  other.timeline_id = *TimelineId::parse_hex("000000000000000000000000000000ff");
  EXPECT_EQ(reader_.describe(other).error().code(), ErrorCode::kNotFound);
  reader_.read(1, other, kStart, 100, answers_.done());
  auto answer = answers_.next();
  ASSERT_TRUE(answer.has_value());
  ASSERT_FALSE(answer->chunk.has_value());
  EXPECT_EQ(answer->chunk.error().code(), ErrorCode::kNotFound);
}

// The storage worker's thread appends and syncs while reads it described wait on the pool: the
// appends are not held up (with reads on the worker, they would wait for every one of them).
TEST_F(OneTimelineTest, ReadsInFlight_DoNotHoldUpAppends) {
  const Lsn described = kStart.plus_bytes(kSeg / 2);
  append_to(*timeline_, described, described);
  gate_.hold(pool_);  // The pool's one thread is busy: reads queue behind it.
  for (std::uint64_t reader = 1; reader <= 8; ++reader) {
    reader_.read(reader, key_, kStart.plus_bytes(reader * 1000), 64 * 1024, answers_.done());
  }
  // Meanwhile this thread, the appending one, goes on: 50 batches, each with its fdatasync.
  for (int i = 1; i <= 50; ++i) {
    const Lsn end = described.plus_bytes(static_cast<std::uint64_t>(i) * 8192);
    append_to(*timeline_, end, end);
  }
  EXPECT_EQ(answers_.size(), 0u);  // Not one read has run yet.
  gate_.open();
  for (std::uint64_t reader = 1; reader <= 8; ++reader) {
    auto answer = answers_.next();
    ASSERT_TRUE(answer.has_value());
    ASSERT_TRUE(answer->chunk.has_value()) << answer->chunk.error().to_string();
    const Lsn from = answer->chunk->start;
    EXPECT_EQ(answer->chunk->bytes, wal_at(from, 64 * 1024));
    EXPECT_EQ(answer->chunk->committed, described);  // As described, before the appends.
  }
}

// A pg_server-style reader on a real StorageWorker: each read is posted to the worker, parked
// reads are woken by after_round, while another thread keeps appending through the worker.
// The reader must receive every committed byte, in order, and nothing else.
TEST_F(OneTimelineTest, StreamingReader_GetsEveryCommittedByteInOrder_WhileAppendsContinue) {
  constexpr int kAppends = 300;
  constexpr std::uint64_t kAppendBytes = 7000;  // About two segments in all.
  const Lsn final_end = kStart.plus_bytes(kAppends * kAppendBytes);
  std::mutex mutex;
  std::condition_variable acked;
  std::size_t replies = 0;
  StorageWorker worker([this](const storage::TimelineKey& key) { return lookup(key); }, {},
                       [this] {
                         reader_.after_round();
                         return false;
                       });
  worker.start([&](std::vector<StorageWorker::Completion> completions) {
    std::lock_guard lock(mutex);
    for (const auto& c : completions) {
      EXPECT_FALSE(c.error.has_value()) << c.error->to_string();
      replies += c.replies.size();
    }
    acked.notify_all();
  });
  std::thread proposer([&] {
    for (int i = 0; i < kAppends; ++i) {
      const Lsn begin = kStart.plus_bytes(static_cast<std::uint64_t>(i) * kAppendBytes);
      // Commits what the previous append wrote, as a proposer does once a quorum has it.
      worker.enqueue({1, key_, kProposer,
                      AppendRequest{Term(1), begin, begin.plus_bytes(kAppendBytes), begin, Lsn(0),
                                    wal_at(begin, kAppendBytes)}});
    }
    worker.enqueue(
        {1, key_, kProposer, AppendRequest{Term(1), final_end, final_end, final_end, Lsn(0), {}}});
  });
  Lsn at = kStart;
  int reads = 0;
  bool ok = true;
  while (ok && at < final_end && reads < 10 * kAppends) {
    ++reads;
    worker.post([this, at, done = answers_.done()] { reader_.read(1, key_, at, 16384, done); });
    auto answer = answers_.next();
    ok = answer.has_value() && answer->chunk.has_value();
    ASSERT_TRUE(ok) << (answer ? answer->chunk.error().to_string() : "no answer in time");
    ASSERT_EQ(answer->chunk->start, at);
    ASSERT_LE(answer->chunk->start.plus_bytes(answer->chunk->bytes.size()),
              answer->chunk->committed);
    ASSERT_EQ(answer->chunk->bytes, wal_at(at, answer->chunk->bytes.size()));
    at = at.plus_bytes(answer->chunk->bytes.size());
  }
  proposer.join();
  {
    std::unique_lock lock(mutex);
    EXPECT_TRUE(acked.wait_for(lock, kDeadline, [&] { return replies >= kAppends + 1; }));
  }
  worker.stop();
  EXPECT_EQ(at, final_end);
}

// --- A branch: its parent's WAL up to the branch point, then its own ----------------------------

class BranchTest : public CommittedWalReaderTest {
 protected:
  static constexpr std::string_view kParent = "000000000000000000000000000000a1";
  static constexpr std::string_view kChild = "000000000000000000000000000000b2";

  void SetUp() override {
    CommittedWalReaderTest::SetUp();
    parent_ = &host(identity_of(kParent, kStart));
    child_ = &host(identity_of(kChild, branch_lsn_));
    // The branch log, in memory: the tenant, the root branch, the child branch.
    Timeline& log =
        elect(branch_log_identity(),
              std::make_unique<storage::MemoryWalStore>(branch_log_identity().timeline_start_lsn));
    const TenantId tenant = test_identity().tenant_id;
    std::vector<std::uint8_t> records;
    int proposal = 0;
    auto add = [&](proto::BranchLogChange change) {
      proto::BranchLogEntry entry;
      entry.proposal_id = *ProposalId::parse_hex("00000000000000000000000000000" +
                                                 std::to_string(100 + ++proposal));
      entry.change = std::move(change);
      const std::vector<std::uint8_t> record = branchmgr::encode_record(entry);
      records.insert(records.end(), record.begin(), record.end());
    };
    add(proto::TenantCreated{tenant, "t"});
    proto::BranchCreated root;
    root.tenant_id = tenant;
    root.name = "main";
    root.timeline_id = *TimelineId::parse_hex(kParent);
    root.branch_lsn = kStart;
    add(root);
    proto::BranchCreated child = root;
    child.name = "dev";
    child.timeline_id = *TimelineId::parse_hex(kChild);
    child.parent_timeline_id = root.timeline_id;
    child.branch_lsn = branch_lsn_;
    add(child);
    append(log, records, log.flush_lsn().plus_bytes(records.size()));
    applier_.catch_up();
    ASSERT_FALSE(applier_.failure().has_value()) << applier_.failure()->to_string();
  }

  const Lsn branch_lsn_ = kStart.plus_bytes(kSeg + kSeg / 2);  // Inside the parent's 2nd file.
  const storage::TimelineKey child_key_{test_identity().tenant_id, *TimelineId::parse_hex(kChild)};
  Timeline* parent_ = nullptr;
  Timeline* child_ = nullptr;
  BranchLogApplier applier_{[this](const storage::TimelineKey& key) { return lookup(key); }};
  const ComposedWal composed_{[this](const storage::TimelineKey& key) { return lookup(key); },
                              &applier_};
  CommittedWalReader reader_{composed_, pool_};
};

TEST_F(BranchTest, Read_ReturnsTheParentsWalUpToTheBranchPoint_ThenItsOwn) {
  // The parent went on past the branch point; those bytes are not the branch's.
  const Lsn parent_end = branch_lsn_.plus_bytes(kSeg);
  append(*parent_, std::vector<std::uint8_t>(parent_end.bytes_since(kStart), 0xEE), parent_end);
  const Lsn child_end = branch_lsn_.plus_bytes(kSeg);
  append_to(*child_, child_end, child_end);
  const std::vector<std::uint8_t> parent_bytes(branch_lsn_.bytes_since(kStart), 0xEE);

  auto info = reader_.describe(child_key_);
  ASSERT_TRUE(info.has_value()) << info.error().to_string();
  EXPECT_EQ(info->committed, child_end);
  EXPECT_EQ(info->identity.timeline_start_lsn, kStart);  // The composed log starts at the root.

  const Lsn from = before(branch_lsn_, 1000);
  reader_.read(1, child_key_, from, 3000, answers_.done());
  auto answer = answers_.next();
  ASSERT_TRUE(answer.has_value());
  ASSERT_TRUE(answer->chunk.has_value()) << answer->chunk.error().to_string();
  std::vector<std::uint8_t> expected(1000, 0xEE);
  const std::vector<std::uint8_t> own = wal_at(branch_lsn_, 2000);
  expected.insert(expected.end(), own.begin(), own.end());
  EXPECT_EQ(answer->chunk->bytes, expected);

  // The whole composed log from the root's start, across both timelines' segment files.
  reader_.read(1, child_key_, kStart, 8 * kSeg, answers_.done());
  answer = answers_.next();
  ASSERT_TRUE(answer.has_value());
  ASSERT_TRUE(answer->chunk.has_value()) << answer->chunk.error().to_string();
  expected = parent_bytes;
  const std::vector<std::uint8_t> all_own = wal_at(branch_lsn_, kSeg);
  expected.insert(expected.end(), all_own.begin(), all_own.end());
  EXPECT_EQ(answer->chunk->bytes, expected);
}

TEST_F(BranchTest, ParentNotCommittedUpToTheBranchPoint_ReadsStopThere) {
  // Here the parent is committed below the branch point only: the branch's log is readable up
  // to the parent's commit LSN, and no further, whatever the branch holds.
  const Lsn parent_commit = before(branch_lsn_, 5000);
  append_to(*parent_, branch_lsn_, parent_commit);
  append_to(*child_, branch_lsn_.plus_bytes(100), branch_lsn_.plus_bytes(100));
  auto info = reader_.describe(child_key_);
  ASSERT_TRUE(info.has_value()) << info.error().to_string();
  EXPECT_EQ(info->committed, parent_commit);
  reader_.read(1, child_key_, before(parent_commit, 10), 1 << 20, answers_.done());
  auto answer = answers_.next();
  ASSERT_TRUE(answer.has_value());
  ASSERT_TRUE(answer->chunk.has_value()) << answer->chunk.error().to_string();
  EXPECT_EQ(answer->chunk->bytes, wal_at(before(parent_commit, 10), 10));
  reader_.read(1, child_key_, parent_commit, 1 << 20, answers_.done());
  EXPECT_EQ(reader_.parked(), 1u);
}

}  // namespace
}  // namespace sk::safekeeper
