// ReplicationSlots and their journal: what is written, when, and what a journal that fails
// leaves (the create or drop refused, the slots as they were).
#include "safekeeper/walsender/replication_slots.h"

#include <gtest/gtest.h>

namespace sk::walsender {
namespace {

using consensus::Lsn;

// Records every call; fails them while `failing` is set.
class RecordingJournal final : public SlotJournal {
 public:
  Status saved(const proto::TimelineKey&, const ReplicationSlot& slot) override {
    calls.push_back("save " + slot.name + " " + slot.restart_lsn.to_string());
    return failing ? Status(Error(ErrorCode::kNoSpace, "full")) : Status();
  }
  Status erased(const proto::TimelineKey&, const std::string& name) override {
    calls.push_back("erase " + name);
    return failing ? Status(Error(ErrorCode::kNoSpace, "full")) : Status();
  }
  std::vector<std::string> calls;
  bool failing = false;
};

const proto::TimelineKey kKey{};

TEST(ReplicationSlotsTest, ACreateOrDropIsJournaledFirst_TemporarySlotsNever) {
  RecordingJournal journal;
  ReplicationSlots slots(&journal);
  ASSERT_TRUE(slots.create(kKey, {"kept", Lsn(0x1000000), false, 0, 0}));
  ASSERT_TRUE(slots.create(kKey, {"temp", Lsn(0x1000000), true, 7, 0}));
  ASSERT_TRUE(slots.drop(kKey, "kept"));
  ASSERT_TRUE(slots.drop(kKey, "temp"));
  EXPECT_EQ(journal.calls, (std::vector<std::string>{"save kept 0/1000000", "erase kept"}));
}

TEST(ReplicationSlotsTest, AJournalThatFails_RefusesTheChangeAndLeavesTheSlots) {
  RecordingJournal journal;
  ReplicationSlots slots(&journal);
  ASSERT_TRUE(slots.create(kKey, {"kept", Lsn(0), false, 0, 0}));
  journal.failing = true;
  EXPECT_EQ(slots.create(kKey, {"other", Lsn(0), false, 0, 0}).error().code(), ErrorCode::kNoSpace);
  EXPECT_FALSE(slots.find(kKey, "other"));
  EXPECT_EQ(slots.drop(kKey, "kept").error().code(), ErrorCode::kNoSpace);
  EXPECT_TRUE(slots.find(kKey, "kept"));
}

TEST(ReplicationSlotsTest, ProgressIsJournaledEvery16MiB_AndWhenTheSessionLetsGo) {
  RecordingJournal journal;
  ReplicationSlots slots(&journal);
  ASSERT_TRUE(slots.create(kKey, {"s", Lsn(0x1000000), false, 0, 0}));
  ASSERT_TRUE(slots.acquire(kKey, "s", 1));
  journal.calls.clear();
  slots.advance(kKey, "s", Lsn(0x1800000));  // 8 MiB: not yet.
  EXPECT_TRUE(journal.calls.empty());
  slots.advance(kKey, "s", Lsn(0x2000000));  // 16 MiB since the journal last got it.
  EXPECT_EQ(journal.calls, (std::vector<std::string>{"save s 0/2000000"}));
  slots.advance(kKey, "s", Lsn(0x2000100));
  slots.release(kKey, "s", 1);
  EXPECT_EQ(journal.calls.back(), "save s 0/2000100");
  const std::size_t calls = journal.calls.size();
  slots.session_ended(1);  // Nothing new to write.
  EXPECT_EQ(journal.calls.size(), calls);
  EXPECT_EQ(slots.find(kKey, "s")->restart_lsn, Lsn(0x2000100));
}

TEST(ReplicationSlotsTest, RestoredSlots_AreListedAndNotWrittenBack) {
  RecordingJournal journal;
  ReplicationSlots slots(&journal);
  slots.restore(kKey, {"b", Lsn(0x3000000), false, 0, 0});
  slots.restore(kKey, {"a", Lsn(0x2000000), false, 0, 0});
  EXPECT_TRUE(journal.calls.empty());
  const auto listed = slots.of_timeline(kKey);
  ASSERT_EQ(listed.size(), 2U);
  EXPECT_EQ(listed[0].name, "a");
  EXPECT_EQ(listed[1].restart_lsn, Lsn(0x3000000));
  EXPECT_TRUE(slots.of_timeline({consensus::TenantId(), consensus::TimelineId({1})}).empty());
}

TEST(ReplicationSlotsTest, ASlotUnusedBeyondTheLimit_IsDropped_AnActiveOrTemporaryOneIsNot) {
  RecordingJournal journal;
  std::int64_t now = 1'000'000;
  ReplicationSlots slots(&journal, [&now] { return now; });
  ASSERT_TRUE(slots.create(kKey, {"idle", Lsn(0x1000000), false, 0, 0}));
  ASSERT_TRUE(slots.create(kKey, {"streaming", Lsn(0x1000000), false, 0, 0}));
  ASSERT_TRUE(slots.create(kKey, {"temp", Lsn(0x1000000), true, 9, 0}));
  ASSERT_TRUE(slots.create(kKey, {"used_later", Lsn(0x1000000), false, 0, 0}));
  ASSERT_TRUE(slots.acquire(kKey, "streaming", 1));
  EXPECT_EQ(slots.find(kKey, "idle")->last_active_us, 1'000'000);

  now += 4'000'000;
  slots.advance(kKey, "used_later", Lsn(0x1000100));  // A use: stamped now.
  EXPECT_TRUE(slots.drop_inactive(5'000'000).empty()) << "none is idle for more than 5 s yet";
  now += 2'000'000;
  journal.calls.clear();
  const auto dropped = slots.drop_inactive(5'000'000);
  ASSERT_EQ(dropped.size(), 1U);
  EXPECT_EQ(dropped[0].second, "idle");
  EXPECT_EQ(journal.calls, (std::vector<std::string>{"erase idle"}));
  EXPECT_FALSE(slots.find(kKey, "idle"));
  EXPECT_TRUE(slots.find(kKey, "streaming"));
  EXPECT_TRUE(slots.find(kKey, "temp"));
  EXPECT_TRUE(slots.find(kKey, "used_later"));

  // One the journal cannot forget stays, to be dropped another time.
  now += 60'000'000;
  slots.release(kKey, "streaming", 1);
  now += 60'000'000;
  journal.failing = true;
  EXPECT_TRUE(slots.drop_inactive(5'000'000).empty());
  EXPECT_TRUE(slots.find(kKey, "streaming"));
}

}  // namespace
}  // namespace sk::walsender
