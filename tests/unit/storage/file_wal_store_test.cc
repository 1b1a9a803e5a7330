// FileWalStore on real files: appends across segments, reopening, truncation, and what start-up
// does with torn tails, stale bytes and leftover files. Segments are 1 MiB (the smallest size
// PostgreSQL accepts) so that tests cross them cheaply.
#include "safekeeper/storage/file_wal_store.h"

#include <fstream>
#include <iterator>

#include <gtest/gtest.h>

#include "safekeeper/storage/wal_frame.h"
#include "tests/support/temp_dir.h"

namespace sk::storage {
namespace {

namespace fs = std::filesystem;
using consensus::Lsn;
using sk::testing::TempDir;

constexpr std::uint64_t kSeg = std::uint64_t{1} << 20;
constexpr Lsn kStart{0x3000000};  // Segment 48 of 1 MiB segments.

std::vector<std::uint8_t> pattern(std::size_t size, std::uint8_t seed) {
  std::vector<std::uint8_t> bytes(size);
  for (std::size_t i = 0; i < size; ++i) {
    bytes[i] = static_cast<std::uint8_t>(seed + i * 7 + (i >> 9));
  }
  return bytes;
}

std::vector<std::uint8_t> file_bytes(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

void overwrite(const fs::path& path, std::uint64_t offset, const std::vector<std::uint8_t>& bytes) {
  std::fstream file(path, std::ios::binary | std::ios::in | std::ios::out);
  file.seekp(static_cast<std::streamoff>(offset));
  file.write(reinterpret_cast<const char*>(bytes.data()),
             static_cast<std::streamsize>(bytes.size()));
}

class FileWalStoreTest : public ::testing::Test {
 protected:
  FileWalStore::Opened open(Lsn start = kStart) {
    auto opened = FileWalStore::open(dir_.path() / "wal", start, kSeg);
    EXPECT_TRUE(opened.has_value()) << opened.error().to_string();
    return opened ? std::move(*opened) : FileWalStore::Opened{};
  }
  std::vector<std::uint8_t> read_ok(const WalStore& store, Lsn begin, Lsn end) {
    auto bytes = store.read(begin, end);
    EXPECT_TRUE(bytes.has_value()) << bytes.error().to_string();
    return bytes ? *bytes : std::vector<std::uint8_t>{};
  }
  // Appends `bytes` at the end and syncs.
  void append_ok(WalStore& store, const std::vector<std::uint8_t>& bytes) {
    Status appended = store.append(store.end_lsn(), bytes);
    ASSERT_TRUE(appended.has_value()) << appended.error().to_string();
    Status synced = store.sync();
    ASSERT_TRUE(synced.has_value()) << synced.error().to_string();
  }

  TempDir dir_{"sk_wal"};
};

TEST_F(FileWalStoreTest, Empty_StartsAndEndsAtTheTimelineStart) {
  FileWalStore::Opened opened = open();
  ASSERT_NE(opened.store, nullptr);
  EXPECT_EQ(opened.store->end_lsn(), kStart);
  EXPECT_EQ(opened.store->flush_lsn(), kStart);
  EXPECT_EQ(opened.report.segments, 0u);
  EXPECT_FALSE(opened.report.cut.has_value());
}

TEST_F(FileWalStoreTest, AppendsAcrossSegments_ReadBackAndSurviveReopen) {
  const std::vector<std::uint8_t> wal = pattern(2 * kSeg + kSeg / 2, 3);
  {
    FileWalStore::Opened opened = open();
    ASSERT_NE(opened.store, nullptr);
    // Pieces of 100,000 bytes, so that some straddle a segment boundary.
    for (std::size_t at = 0; at < wal.size(); at += 100000) {
      const std::size_t n = std::min<std::size_t>(100000, wal.size() - at);
      ASSERT_TRUE(
          opened.store->append(opened.store->end_lsn(), std::span(wal).subspan(at, n)).has_value());
    }
    EXPECT_EQ(opened.store->end_lsn(), kStart.plus_bytes(wal.size()));
    EXPECT_EQ(opened.store->flush_lsn(), kStart);  // Nothing synced yet.
    ASSERT_TRUE(opened.store->sync().has_value());
    EXPECT_EQ(opened.store->flush_lsn(), kStart.plus_bytes(wal.size()));
    EXPECT_EQ(read_ok(*opened.store, kStart, opened.store->end_lsn()), wal);
    EXPECT_TRUE(fs::exists(dir_.path() / "wal" / "000000010000000000000030.frames"));
    EXPECT_TRUE(fs::exists(dir_.path() / "wal" / "000000010000000000000032.frames"));
  }
  FileWalStore::Opened reopened = open();
  ASSERT_NE(reopened.store, nullptr);
  EXPECT_EQ(reopened.report.segments, 3u);
  EXPECT_FALSE(reopened.report.cut.has_value());
  EXPECT_EQ(reopened.store->flush_lsn(), kStart.plus_bytes(wal.size()));
  EXPECT_EQ(read_ok(*reopened.store, kStart, reopened.store->end_lsn()), wal);
  // A range inside, across the first boundary.
  const Lsn from = kStart.plus_bytes(kSeg - 10);
  EXPECT_EQ(read_ok(*reopened.store, from, from.plus_bytes(20)),
            std::vector<std::uint8_t>(wal.begin() + kSeg - 10, wal.begin() + kSeg + 10));
}

TEST_F(FileWalStoreTest, TimelineStartingInsideASegment_Works) {
  const Lsn start = kStart.plus_bytes(kSeg - 100);
  const std::vector<std::uint8_t> wal = pattern(300, 9);
  {
    FileWalStore::Opened opened = open(start);
    ASSERT_NE(opened.store, nullptr);
    append_ok(*opened.store, wal);
  }
  FileWalStore::Opened reopened = open(start);
  ASSERT_NE(reopened.store, nullptr);
  EXPECT_EQ(reopened.store->end_lsn(), start.plus_bytes(300));
  EXPECT_EQ(read_ok(*reopened.store, start, start.plus_bytes(300)), wal);
}

TEST_F(FileWalStoreTest, AppendAnywhereButTheEnd_IsInvalidArgument) {
  FileWalStore::Opened opened = open();
  ASSERT_NE(opened.store, nullptr);
  append_ok(*opened.store, pattern(100, 1));
  const std::vector<std::uint8_t> more = pattern(10, 2);
  for (Lsn at : {kStart, kStart.plus_bytes(99), kStart.plus_bytes(101)}) {
    Status status = opened.store->append(at, more);
    ASSERT_FALSE(status.has_value());
    EXPECT_EQ(status.error().code(), ErrorCode::kInvalidArgument);
  }
  EXPECT_EQ(opened.store->end_lsn(), kStart.plus_bytes(100));
}

TEST_F(FileWalStoreTest, TruncateInsideASegment_ThenAppend_SurvivesReopen) {
  const std::vector<std::uint8_t> first = pattern(1000, 1);
  const std::vector<std::uint8_t> second = pattern(100, 50);
  {
    FileWalStore::Opened opened = open();
    ASSERT_NE(opened.store, nullptr);
    append_ok(*opened.store, first);
    ASSERT_TRUE(opened.store->truncate(kStart.plus_bytes(600)).has_value());
    EXPECT_EQ(opened.store->end_lsn(), kStart.plus_bytes(600));
    EXPECT_EQ(opened.store->flush_lsn(), kStart.plus_bytes(600));
    append_ok(*opened.store, second);
  }
  std::vector<std::uint8_t> expected(first.begin(), first.begin() + 600);
  expected.insert(expected.end(), second.begin(), second.end());
  FileWalStore::Opened reopened = open();
  ASSERT_NE(reopened.store, nullptr);
  EXPECT_FALSE(reopened.report.cut.has_value());
  EXPECT_EQ(reopened.store->end_lsn(), kStart.plus_bytes(700));
  EXPECT_EQ(read_ok(*reopened.store, kStart, kStart.plus_bytes(700)), expected);
}

TEST_F(FileWalStoreTest, TruncateAcrossSegments_RemovesLaterFiles) {
  const std::vector<std::uint8_t> wal = pattern(2 * kSeg + 500, 4);
  struct Case {
    const char* name;
    std::uint64_t keep;
    std::size_t files_left;
  };
  const Case cases[] = {
      {"inside the second segment", kSeg + 1234, 2},
      {"at a segment boundary", kSeg, 1},
      {"everything", 0, 0},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    fs::remove_all(dir_.path() / "wal");
    {
      FileWalStore::Opened opened = open();
      ASSERT_NE(opened.store, nullptr);
      append_ok(*opened.store, wal);
      ASSERT_TRUE(opened.store->truncate(kStart.plus_bytes(c.keep)).has_value());
    }
    std::size_t files = 0;
    for (const auto& entry : fs::directory_iterator(dir_.path() / "wal")) {
      files += entry.path().extension() == ".frames" ? 1 : 0;
    }
    EXPECT_EQ(files, c.files_left);
    FileWalStore::Opened reopened = open();
    ASSERT_NE(reopened.store, nullptr);
    EXPECT_EQ(reopened.store->end_lsn(), kStart.plus_bytes(c.keep));
    EXPECT_EQ(
        read_ok(*reopened.store, kStart, reopened.store->end_lsn()),
        std::vector<std::uint8_t>(wal.begin(), wal.begin() + static_cast<std::ptrdiff_t>(c.keep)));
    // The log goes on from there.
    append_ok(*reopened.store, pattern(kSeg, 8));
    EXPECT_EQ(reopened.store->end_lsn(), kStart.plus_bytes(c.keep + kSeg));
  }
}

TEST_F(FileWalStoreTest, TruncateOutsideTheLog_IsInvalidArgument) {
  FileWalStore::Opened opened = open();
  ASSERT_NE(opened.store, nullptr);
  append_ok(*opened.store, pattern(100, 1));
  for (Lsn at : {Lsn(kStart.value() - 1), kStart.plus_bytes(101)}) {
    Status status = opened.store->truncate(at);
    ASSERT_FALSE(status.has_value());
    EXPECT_EQ(status.error().code(), ErrorCode::kInvalidArgument);
  }
}

// What a crash in the middle of writing a frame leaves: start-up cuts back to the last frame
// that checks out, reports where and why, zeroes the rest, and the log goes on from there.
TEST_F(FileWalStoreTest, TornTail_IsCutBackReportedAndZeroed) {
  const std::vector<std::uint8_t> kept = pattern(5000, 1);
  const fs::path file = dir_.path() / "wal" / "000000010000000000000030.frames";
  std::vector<std::uint8_t> torn_frame;
  append_data_frame(kStart.plus_bytes(5000), pattern(3000, 2), torn_frame);
  struct Case {
    const char* name;
    std::vector<std::uint8_t> tail;
    const char* why;
  };
  const Case cases[] = {
      // The file is preallocated, so the missing half reads as zeros: the checksum catches it.
      {"frame cut short", std::vector<std::uint8_t>(torn_frame.begin(), torn_frame.begin() + 1500),
       "checksum mismatch"},
      {"flipped data bit",
       [&] {
         auto damaged = torn_frame;
         damaged[kWalFrameHeaderBytes + 10] ^= 0x01;
         return damaged;
       }(),
       "checksum mismatch"},
      {"header lost, data persisted",
       [&] {
         auto half = torn_frame;
         std::fill(half.begin(), half.begin() + kWalFrameHeaderBytes, 0);
         return half;
       }(),
       "non-zero bytes after the last frame"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    fs::remove_all(dir_.path() / "wal");
    std::uint64_t tail_offset = 0;
    {
      FileWalStore::Opened opened = open();
      ASSERT_NE(opened.store, nullptr);
      append_ok(*opened.store, kept);
      tail_offset = kWalFrameHeaderBytes + kept.size();
    }
    overwrite(file, tail_offset, c.tail);

    FileWalStore::Opened reopened = open();
    ASSERT_NE(reopened.store, nullptr);
    ASSERT_TRUE(reopened.report.cut.has_value());
    EXPECT_EQ(reopened.report.cut->file, file.filename().string());
    EXPECT_EQ(reopened.report.cut->offset, tail_offset);
    EXPECT_NE(reopened.report.cut->why.find(c.why), std::string::npos) << reopened.report.cut->why;
    EXPECT_EQ(reopened.store->end_lsn(), kStart.plus_bytes(kept.size()));
    EXPECT_EQ(read_ok(*reopened.store, kStart, reopened.store->end_lsn()), kept);
    const std::vector<std::uint8_t> on_disk = file_bytes(file);
    EXPECT_TRUE(std::all_of(on_disk.begin() + static_cast<std::ptrdiff_t>(tail_offset),
                            on_disk.end(), [](std::uint8_t b) { return b == 0; }));
    append_ok(*reopened.store, pattern(200, 3));
    reopened.store.reset();
    FileWalStore::Opened again = open();
    ASSERT_NE(again.store, nullptr);
    EXPECT_FALSE(again.report.cut.has_value());
    EXPECT_EQ(again.store->end_lsn(), kStart.plus_bytes(kept.size() + 200));
  }
}

TEST_F(FileWalStoreTest, FilesBeyondTheEnd_AreRemovedAndReported) {
  {
    FileWalStore::Opened opened = open();
    ASSERT_NE(opened.store, nullptr);
    append_ok(*opened.store, pattern(2 * kSeg, 5));
  }
  // As if a truncation had cut the log inside segment 48 and a crash came before it removed 49:
  // here by copying a file two segments ahead, which no log reaches.
  const fs::path wal = dir_.path() / "wal";
  fs::copy_file(wal / "000000010000000000000031.frames", wal / "000000010000000000000033.frames");
  fs::remove(wal / "000000010000000000000031.frames");
  std::ofstream(wal / "000000010000000000000034.frames.creating") << "half made";

  FileWalStore::Opened reopened = open();
  ASSERT_NE(reopened.store, nullptr);
  EXPECT_EQ(reopened.store->end_lsn(), kStart.plus_bytes(kSeg));
  EXPECT_EQ(reopened.report.removed_files.size(), 2u);
  EXPECT_FALSE(fs::exists(wal / "000000010000000000000033.frames"));
  EXPECT_FALSE(fs::exists(wal / "000000010000000000000034.frames.creating"));
}

TEST_F(FileWalStoreTest, NextSegment_IsMadeAheadAndKeptAsTheSpareAcrossReopen) {
  const fs::path wal = dir_.path() / "wal";
  const fs::path spare = wal / "000000010000000000000031.frames";
  const std::vector<std::uint8_t> first = pattern(kSeg / 2, 9);
  {
    FileWalStore::Opened opened = open();
    ASSERT_NE(opened.store, nullptr);
    append_ok(*opened.store, first);
  }  // Closing waits for the background creation.
  ASSERT_TRUE(fs::exists(spare));
  EXPECT_EQ(fs::file_size(spare), kSeg);

  FileWalStore::Opened reopened = open();
  ASSERT_NE(reopened.store, nullptr);
  EXPECT_TRUE(reopened.report.removed_files.empty())
      << ::testing::PrintToString(reopened.report.removed_files);
  EXPECT_EQ(reopened.store->end_lsn(), kStart.plus_bytes(first.size()));
  EXPECT_TRUE(fs::exists(spare));
  // The spare takes the WAL that crosses into it, and a reopen finds that WAL.
  const std::vector<std::uint8_t> second = pattern(kSeg, 4);
  append_ok(*reopened.store, second);
  reopened.store.reset();
  FileWalStore::Opened again = open();
  ASSERT_NE(again.store, nullptr);
  EXPECT_EQ(again.store->end_lsn(), kStart.plus_bytes(first.size() + second.size()));
  std::vector<std::uint8_t> all = first;
  all.insert(all.end(), second.begin(), second.end());
  EXPECT_EQ(read_ok(*again.store, kStart, again.store->end_lsn()), all);
}

TEST_F(FileWalStoreTest, NewStore_MakesItsFirstSegmentAhead_AndAReopenKeepsIt) {
  const fs::path first = dir_.path() / "wal" / "000000010000000000000030.frames";
  {
    FileWalStore::Opened opened = open();
    ASSERT_NE(opened.store, nullptr);
  }  // Closing waits for the background creation.
  ASSERT_TRUE(fs::exists(first));
  EXPECT_EQ(fs::file_size(first), kSeg);

  FileWalStore::Opened reopened = open();
  ASSERT_NE(reopened.store, nullptr);
  EXPECT_TRUE(reopened.report.removed_files.empty())
      << ::testing::PrintToString(reopened.report.removed_files);
  EXPECT_EQ(reopened.store->end_lsn(), kStart);
  const std::vector<std::uint8_t> wal = pattern(kSeg / 4, 5);
  append_ok(*reopened.store, wal);
  EXPECT_EQ(read_ok(*reopened.store, kStart, reopened.store->end_lsn()), wal);
}

TEST_F(FileWalStoreTest, EmptyFilesBeyondTheEnd_OtherThanAWholeSpare_GoUnreported) {
  {
    FileWalStore::Opened opened = open();
    ASSERT_NE(opened.store, nullptr);
    append_ok(*opened.store, pattern(kSeg / 2, 2));
  }
  const fs::path wal = dir_.path() / "wal";
  // The spare cut short (as no creation leaves it), and a whole empty file two segments ahead.
  fs::resize_file(wal / "000000010000000000000031.frames", kSeg / 2);
  std::ofstream(wal / "000000010000000000000032.frames", std::ios::binary)
      .write(std::string(kSeg, '\0').data(), static_cast<std::streamsize>(kSeg));

  FileWalStore::Opened reopened = open();
  ASSERT_NE(reopened.store, nullptr);
  EXPECT_TRUE(reopened.report.removed_files.empty())
      << ::testing::PrintToString(reopened.report.removed_files);
  EXPECT_FALSE(fs::exists(wal / "000000010000000000000031.frames"));
  EXPECT_FALSE(fs::exists(wal / "000000010000000000000032.frames"));
  // Appending past the segment makes its successor again, inline.
  append_ok(*reopened.store, pattern(kSeg, 6));
  EXPECT_EQ(fs::file_size(wal / "000000010000000000000031.frames"), kSeg);
}

TEST_F(FileWalStoreTest, RecordedPositions_SurviveReopenAndTruncation) {
  {
    FileWalStore::Opened opened = open();
    ASSERT_NE(opened.store, nullptr);
    EXPECT_EQ(opened.store->positions(), std::nullopt);
    append_ok(*opened.store, pattern(kSeg + 100, 1));
    ASSERT_TRUE(
        opened.store->record_positions({kStart.plus_bytes(50), kStart.plus_bytes(10)}).has_value());
    EXPECT_EQ(opened.store->positions(), std::nullopt);  // Not synced yet.
    ASSERT_TRUE(opened.store->sync().has_value());
    // The latest positions land in the second segment, which the truncation below removes.
    ASSERT_TRUE(opened.store->record_positions({kStart.plus_bytes(900), kStart.plus_bytes(50)})
                    .has_value());
    ASSERT_TRUE(opened.store->sync().has_value());
    ASSERT_TRUE(opened.store->truncate(kStart.plus_bytes(1000)).has_value());
  }
  FileWalStore::Opened reopened = open();
  ASSERT_NE(reopened.store, nullptr);
  EXPECT_EQ(reopened.store->end_lsn(), kStart.plus_bytes(1000));
  const WalPositions expected{kStart.plus_bytes(900), kStart.plus_bytes(50)};
  EXPECT_EQ(reopened.store->positions(), expected);
}

TEST_F(FileWalStoreTest, PositionsBeyondTheEnd_AreInvalidArgument) {
  FileWalStore::Opened opened = open();
  ASSERT_NE(opened.store, nullptr);
  append_ok(*opened.store, pattern(100, 1));
  Status status = opened.store->record_positions({kStart.plus_bytes(101), kStart});
  ASSERT_FALSE(status.has_value());
  EXPECT_EQ(status.error().code(), ErrorCode::kInvalidArgument);
}

TEST_F(FileWalStoreTest, FrameOutsideItsSegment_IsCorruption) {
  {
    FileWalStore::Opened opened = open();
    ASSERT_NE(opened.store, nullptr);
    append_ok(*opened.store, pattern(100, 1));
  }
  std::vector<std::uint8_t> alien;
  append_data_frame(kStart.plus_bytes(5 * kSeg), pattern(10, 1), alien);
  overwrite(dir_.path() / "wal" / "000000010000000000000030.frames", 0, alien);
  auto opened = FileWalStore::open(dir_.path() / "wal", kStart, kSeg);
  ASSERT_FALSE(opened.has_value());
  EXPECT_EQ(opened.error().code(), ErrorCode::kCorruption);
  EXPECT_NE(opened.error().message().find("outside the segment"), std::string::npos)
      << opened.error().message();
}

TEST_F(FileWalStoreTest, RemoveBelow_TakesWholeSegmentsUnderTheHorizon_AndAReopenKeepsTheRest) {
  const std::vector<std::uint8_t> wal = pattern(3 * kSeg + kSeg / 2, 5);  // Segments 48..51.
  const fs::path seg48 = dir_.path() / "wal" / "000000010000000000000030.frames";
  const fs::path seg49 = dir_.path() / "wal" / "000000010000000000000031.frames";
  const fs::path seg50 = dir_.path() / "wal" / "000000010000000000000032.frames";
  const Lsn kept = kStart.plus_bytes(2 * kSeg);  // Segment 50's start.
  {
    FileWalStore::Opened opened = open();
    ASSERT_NE(opened.store, nullptr);
    append_ok(*opened.store, wal);
    const std::uint64_t before = opened.store->bytes_on_disk();
    // A horizon inside segment 50: 48 and 49 go, 50 stays.
    auto removed = opened.store->remove_below(kept.plus_bytes(kSeg / 3));
    ASSERT_TRUE(removed.has_value()) << removed.error().to_string();
    EXPECT_EQ(*removed, 2u);
    EXPECT_EQ(opened.store->first_held_lsn(), kept);
    EXPECT_EQ(opened.store->start_lsn(), kStart);
    EXPECT_EQ(opened.store->bytes_on_disk(), before - 2 * kSeg);
    EXPECT_FALSE(fs::exists(seg48));
    EXPECT_FALSE(fs::exists(seg49));
    EXPECT_TRUE(fs::exists(seg50));
    // Below the kept WAL: refused, saying why; from it on: as before.
    auto below = opened.store->read(kStart.plus_bytes(kSeg), kStart.plus_bytes(kSeg + 10));
    ASSERT_FALSE(below.has_value());
    EXPECT_EQ(below.error().code(), ErrorCode::kNotFound);
    EXPECT_NE(below.error().message().find("has been removed"), std::string::npos)
        << below.error().message();
    EXPECT_EQ(read_ok(*opened.store, kept, opened.store->end_lsn()),
              std::vector<std::uint8_t>(wal.begin() + 2 * kSeg, wal.end()));
    // The durable reader, as readers on other threads use it, says the same.
    std::vector<std::uint8_t> out(10);
    Status read = opened.store->durable_reader()->read(kStart, out);
    ASSERT_FALSE(read.has_value());
    EXPECT_EQ(read.error().code(), ErrorCode::kNotFound);
    // The same horizon again removes nothing.
    auto again = opened.store->remove_below(kept);
    ASSERT_TRUE(again.has_value()) << again.error().to_string();
    EXPECT_EQ(*again, 0u);
    // Appends go on after it.
    append_ok(*opened.store, pattern(100, 6));
  }
  FileWalStore::Opened reopened = open();
  ASSERT_NE(reopened.store, nullptr);
  EXPECT_EQ(reopened.store->first_held_lsn(), kept);
  EXPECT_EQ(reopened.store->end_lsn(), kStart.plus_bytes(wal.size() + 100));
  EXPECT_FALSE(reopened.report.cut.has_value());
  EXPECT_TRUE(reopened.report.removed_files.empty());
  std::vector<std::uint8_t> tail(wal.begin() + 2 * kSeg, wal.end());
  const std::vector<std::uint8_t> more = pattern(100, 6);
  tail.insert(tail.end(), more.begin(), more.end());
  EXPECT_EQ(read_ok(*reopened.store, kept, reopened.store->end_lsn()), tail);
}

TEST_F(FileWalStoreTest, RemoveBelow_KeepsTheSegmentOfTheLastByte_AndRefusesAHorizonPastTheFlush) {
  FileWalStore::Opened opened = open();
  ASSERT_NE(opened.store, nullptr);
  append_ok(*opened.store, pattern(2 * kSeg, 7));  // Ends exactly at segment 50's start.
  const Lsn end = opened.store->end_lsn();
  auto removed = opened.store->remove_below(end);
  ASSERT_TRUE(removed.has_value()) << removed.error().to_string();
  EXPECT_EQ(*removed, 1u);  // Segment 49 holds the last byte (and the positions): it stays.
  EXPECT_EQ(opened.store->first_held_lsn(), kStart.plus_bytes(kSeg));
  ASSERT_TRUE(opened.store->append(end, pattern(10, 1)).has_value());  // Not synced.
  auto past = opened.store->remove_below(end.plus_bytes(10));
  ASSERT_FALSE(past.has_value());
  EXPECT_EQ(past.error().code(), ErrorCode::kInvalidArgument);
}

TEST_F(FileWalStoreTest, FilesLeftBelowTheRecordedStart_AreRemovedAtOpen) {
  const fs::path seg48 = dir_.path() / "wal" / "000000010000000000000030.frames";
  std::vector<std::uint8_t> old_file;
  {
    FileWalStore::Opened opened = open();
    ASSERT_NE(opened.store, nullptr);
    append_ok(*opened.store, pattern(kSeg + 100, 8));
    old_file = file_bytes(seg48);
    auto removed = opened.store->remove_below(kStart.plus_bytes(kSeg));
    ASSERT_TRUE(removed.has_value()) << removed.error().to_string();
    ASSERT_EQ(*removed, 1u);
  }
  // As a crash between recording the new start and unlinking the file leaves it.
  {
    std::ofstream out(seg48, std::ios::binary);
    out.write(reinterpret_cast<const char*>(old_file.data()),
              static_cast<std::streamsize>(old_file.size()));
  }
  FileWalStore::Opened reopened = open();
  ASSERT_NE(reopened.store, nullptr);
  EXPECT_FALSE(fs::exists(seg48));
  EXPECT_EQ(reopened.store->first_held_lsn(), kStart.plus_bytes(kSeg));
  EXPECT_EQ(reopened.store->end_lsn(), kStart.plus_bytes(kSeg + 100));
}

TEST_F(FileWalStoreTest, DamagedRetainedFromRecord_IsCorruption) {
  {
    FileWalStore::Opened opened = open();
    ASSERT_NE(opened.store, nullptr);
    append_ok(*opened.store, pattern(kSeg + 100, 8));
    auto removed = opened.store->remove_below(kStart.plus_bytes(kSeg));
    ASSERT_TRUE(removed.has_value()) << removed.error().to_string();
    ASSERT_EQ(*removed, 1u);
  }
  overwrite(dir_.path() / "wal" / "retained.from", 17, {0xFF});
  auto opened = FileWalStore::open(dir_.path() / "wal", kStart, kSeg);
  ASSERT_FALSE(opened.has_value());
  EXPECT_EQ(opened.error().code(), ErrorCode::kCorruption);
  EXPECT_NE(opened.error().message().find("retained.from"), std::string::npos)
      << opened.error().message();
}

}  // namespace
}  // namespace sk::storage
