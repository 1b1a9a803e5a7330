#include "safekeeper/pgwal/first_record.h"

#include <algorithm>

#include <gtest/gtest.h>

#include "safekeeper/pgwal/wal_generator.h"

namespace sk::pgwal {
namespace {

using consensus::Lsn;

// WAL from `begin` with a NOOP of `first_bytes` that crosses into the segment at 0x2000000,
// then a commit: returns the bytes from that segment's start and where the commit starts.
struct CrossingWal {
  std::vector<std::uint8_t> from_segment;
  Lsn commit_start;
};

CrossingWal crossing(std::size_t first_bytes) {
  const Lsn begin(0x2000000 - 3000);
  auto generator = WalGenerator::create(begin, {});
  EXPECT_TRUE(generator.has_value());
  generator->append_noop(first_bytes);
  const GeneratedRecord commit = generator->append_commit(7, 123);
  const std::vector<std::uint8_t>& all = generator->bytes();
  const std::size_t skip = 0x2000000 - begin.value();
  return {std::vector<std::uint8_t>(all.begin() + static_cast<std::ptrdiff_t>(skip), all.end()),
          commit.start_lsn};
}

TEST(FirstRecordTest, SegmentStartingWithAContinuation_SkipsItAcrossPages) {
  for (std::size_t noop : {std::size_t{3500}, std::size_t{20000}, std::size_t{40000}}) {
    SCOPED_TRACE(noop);
    const CrossingWal wal = crossing(noop);
    auto start = first_record_start(wal.from_segment, Lsn(0x2000000), 16 << 20);
    ASSERT_TRUE(start.has_value());
    ASSERT_TRUE(start->has_value()) << start->error().to_string();
    EXPECT_EQ(**start, wal.commit_start);
    // Too few bytes to reach the end of the continuation: not known yet.
    EXPECT_FALSE(first_record_start(std::span(wal.from_segment).first(30), Lsn(0x2000000), 16 << 20)
                     .has_value());
  }
}

TEST(FirstRecordTest, PageWithoutContinuation_StartsAfterItsHeader) {
  auto generator = WalGenerator::create(Lsn(0x2000000), {});
  ASSERT_TRUE(generator.has_value());
  generator->append_commit(1, 1);
  auto start = first_record_start(generator->bytes(), Lsn(0x2000000), 16 << 20);
  ASSERT_TRUE(start.has_value() && start->has_value());
  EXPECT_EQ(**start, Lsn(0x2000000 + 40));
}

TEST(FirstRecordTest, GarbagePage_IsCorruption) {
  const std::vector<std::uint8_t> zeros(8192, 0);
  auto start = first_record_start(zeros, Lsn(0x2002000), 16 << 20);
  ASSERT_TRUE(start.has_value());
  ASSERT_FALSE(start->has_value());
  EXPECT_EQ(start->error().code(), ErrorCode::kCorruption);
}

// Record ends of generated WAL are boundaries; every other aligned LSN inside a record is not,
// whether the record began on the page read or on an earlier one.
TEST(RecordBoundaryTest, RecordEndsAreBoundariesAndNothingInsideARecordIs) {
  const Lsn begin(0x2000000 + 0x1f00);
  auto generator = WalGenerator::create(begin, {});
  ASSERT_TRUE(generator.has_value());
  std::vector<Lsn> ends{begin};
  for (const std::size_t noop : {std::size_t{100}, std::size_t{9000}, std::size_t{20}}) {
    ends.push_back(generator->append_noop(noop).end_lsn);
    ends.push_back(generator->append_commit(7, 123).end_lsn);
  }
  const std::vector<std::uint8_t>& all = generator->bytes();
  std::size_t checked = 0;
  std::size_t boundaries = 0;
  for (std::uint64_t at = begin.value() + 8; at <= ends.back().value(); at += 8) {
    const Lsn target(at);
    const Lsn page = boundary_check_page(target);
    if (page < begin) {
      continue;
    }
    const std::span<const std::uint8_t> bytes = std::span(all).subspan(page.bytes_since(begin));
    auto boundary = is_record_boundary(bytes, page, target, 16 << 20);
    ASSERT_TRUE(boundary.has_value()) << target.to_string() << ": " << boundary.error().to_string();
    const bool expected = std::find(ends.begin(), ends.end(), target) != ends.end();
    EXPECT_EQ(*boundary, expected) << target.to_string();
    ++checked;
    boundaries += *boundary ? 1 : 0;
  }
  EXPECT_GT(checked, 1000U);
  // Every end whose check page is in the bytes (the first two records end on `begin`'s page).
  const auto checkable = std::count_if(ends.begin(), ends.end(), [&](Lsn end) {
    return end > begin && boundary_check_page(end) >= begin;
  });
  EXPECT_EQ(boundaries, static_cast<std::size_t>(checkable));
  EXPECT_GE(checkable, 4);
}

TEST(RecordBoundaryTest, TheCheckPageIsTheOneHoldingTheByteBefore) {
  EXPECT_EQ(boundary_check_page(Lsn(0x2004000)), Lsn(0x2002000));
  EXPECT_EQ(boundary_check_page(Lsn(0x2004008)), Lsn(0x2004000));
}

}  // namespace
}  // namespace sk::pgwal
