// Unit tests for wal_generator.h: the page and continuation headers it writes, the xl_prev chain,
// streams handed over in pieces, and XLOG_SWITCH padding. Decoding its output is covered in
// wal_decoder_test.cc; PostgreSQL's own pg_waldump reads it in pg_interop_test.cc.
#include "safekeeper/pgwal/wal_generator.h"

#include <cstdint>
#include <vector>

#include <gtest/gtest.h>

#include "safekeeper/pgwal/segment_name.h"
#include "tests/unit/pgwal/wal_test_support.h"

namespace sk::pgwal {
namespace {

using consensus::Lsn;
using wal_test::make_generator;
using wal_test::offset_of;

constexpr std::uint64_t kMiB = std::uint64_t{1} << 20;

PageHeader page_header_at(const WalGenerator& generator, Lsn page_lsn) {
  std::span<const std::uint8_t> bytes(generator.bytes());
  return decode_page_header(bytes.subspan(offset_of(page_lsn, generator.bytes_start_lsn())));
}

TEST(WalGeneratorTest, AtSegmentStart_WritesLongHeaderThenFirstRecord) {
  WalGeneratorOptions options;
  options.system_id = 1234567890123;
  WalGenerator generator = make_generator(Lsn(0x1000000), options);
  GeneratedRecord first = generator.append_noop(10);
  EXPECT_EQ(first.start_lsn, Lsn(0x1000028));

  PageHeader header = page_header_at(generator, Lsn(0x1000000));
  EXPECT_EQ(header.magic, kPageMagicPg15);
  EXPECT_EQ(header.info, kPageLongHeader | kPageBkpRemovable);
  EXPECT_EQ(header.page_addr, Lsn(0x1000000));
  EXPECT_EQ(header.system_id, 1234567890123u);
  EXPECT_EQ(header.seg_size_bytes, 16 * kMiB);
  EXPECT_EQ(header.page_size_bytes, kWalPageSizeBytes);
  // 24-byte header + 2-byte main data header + 10 bytes, padded to 8.
  EXPECT_EQ(first.end_lsn, Lsn(0x1000028 + 40));
  EXPECT_EQ(generator.position(), first.end_lsn);
  EXPECT_EQ(generator.bytes().size(), 40u + 40u);
}

TEST(WalGeneratorTest, Records_ChainPrevLinks) {
  WalGeneratorOptions options;
  options.prev_record_lsn = Lsn(0x1000028);
  WalGenerator generator = make_generator(Lsn(0x1000100), options);
  GeneratedRecord a = generator.append_noop(5);
  GeneratedRecord b = generator.append_commit(700, 1);
  std::span<const std::uint8_t> bytes(generator.bytes());
  RecordHeader ha = decode_record_header(bytes.subspan(offset_of(a.start_lsn, Lsn(0x1000100))));
  RecordHeader hb = decode_record_header(bytes.subspan(offset_of(b.start_lsn, Lsn(0x1000100))));
  EXPECT_EQ(ha.prev, Lsn(0x1000028));
  EXPECT_EQ(hb.prev, a.start_lsn);
  EXPECT_EQ(hb.xid, 700u);
  EXPECT_EQ(hb.rmid, kRmgrXact);
  EXPECT_EQ(generator.last_record_lsn(), b.start_lsn);
}

TEST(WalGeneratorTest, RecordOverThreePages_CarriesRemainingLengthOnEachContinuation) {
  Lsn start(0x1002000 + 1000);
  WalGenerator generator = make_generator(start);
  GeneratedRecord record = generator.append_noop(20000);
  std::uint32_t tot_len = 24 + 5 + 20000;
  std::uint32_t first_part = 8192 - 1000;
  PageHeader second = page_header_at(generator, Lsn(0x1004000));
  EXPECT_EQ(second.info, kPageFirstIsContRecord | kPageBkpRemovable);
  EXPECT_EQ(second.rem_len_bytes, tot_len - first_part);
  PageHeader third = page_header_at(generator, Lsn(0x1006000));
  EXPECT_EQ(third.rem_len_bytes, tot_len - first_part - (8192 - 24));
  EXPECT_EQ(record.end_lsn,
            Lsn(max_align(wal_test::record_data_end(start, tot_len, 16 * kMiB).value())));
}

TEST(WalGeneratorTest, RecordEndingAtPageEnd_DefersNextPageHeaderToNextRecord) {
  Lsn start(0x1002000 + 24);
  WalGenerator generator = make_generator(start);
  // 24 + 5 + main data fills the page exactly.
  GeneratedRecord filler = generator.append_noop(8192 - 24 - 24 - 5);
  EXPECT_EQ(filler.end_lsn, Lsn(0x1004000));
  EXPECT_EQ(generator.bytes().size(), 8192u - 24u);
  GeneratedRecord next = generator.append_noop(1);
  EXPECT_EQ(next.start_lsn, Lsn(0x1004000 + 24));
  EXPECT_EQ(page_header_at(generator, Lsn(0x1004000)).info, kPageBkpRemovable);
}

TEST(WalGeneratorTest, TakeBytes_InPieces_EqualsOneStream) {
  WalGenerator whole = make_generator(Lsn(0x1000000));
  WalGenerator pieces = make_generator(Lsn(0x1000000));
  std::vector<std::uint8_t> joined;
  for (std::size_t i = 0; i < 40; ++i) {
    whole.append_noop(i * 397);
    pieces.append_noop(i * 397);
    if (i % 3 == 0) {
      std::vector<std::uint8_t> taken = pieces.take_bytes();
      joined.insert(joined.end(), taken.begin(), taken.end());
      EXPECT_EQ(pieces.bytes_start_lsn(), pieces.position());
    }
  }
  std::vector<std::uint8_t> rest = pieces.take_bytes();
  joined.insert(joined.end(), rest.begin(), rest.end());
  EXPECT_EQ(joined, whole.bytes());
}

TEST(WalGeneratorTest, Switch_PadsRestOfSegmentWithEmptyPages) {
  WalGeneratorOptions options;
  options.seg_size_bytes = kMiB;
  WalGenerator generator = make_generator(Lsn(0x100000), options);
  generator.append_noop(100);
  GeneratedRecord switch_record = generator.append_switch();
  EXPECT_EQ(switch_record.end_lsn, Lsn(0x200000));
  EXPECT_EQ(generator.bytes().size(), kMiB);
  PageHeader padding_page = page_header_at(generator, Lsn(0x180000));
  EXPECT_EQ(padding_page.page_addr, Lsn(0x180000));
  EXPECT_EQ(padding_page.info & kPageFirstIsContRecord, 0);
  GeneratedRecord next = generator.append_noop(1);
  EXPECT_EQ(next.start_lsn, Lsn(0x200000 + 40));
}

TEST(WalGeneratorTest, Create_RejectsAPositionWhereNoRecordCanBegin) {
  // The rule is check_record_start's (segment_name_test.cc); here, that create() asks it.
  Result<WalGenerator> created = WalGenerator::create(Lsn(0x1000020), WalGeneratorOptions{});
  ASSERT_FALSE(created.has_value());
  EXPECT_EQ(created.error().message(),
            check_record_start(Lsn(0x1000020), 16 * kMiB).error().message());
}

}  // namespace
}  // namespace sk::pgwal
