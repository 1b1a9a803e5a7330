// Unit tests for wal_decoder.h: generator -> decoder round trips over random record sizes, start
// positions and chunkings; records split across pages and segments; clean ends (zeros), torn tails
// and corruption of every kind the decoder checks, each stopping at the right LSN.
#include "safekeeper/pgwal/wal_decoder.h"

#include <cstdint>
#include <vector>

#include <gtest/gtest.h>

#include "safekeeper/pgwal/segment_name.h"
#include "tests/unit/pgwal/wal_test_support.h"

namespace sk::pgwal {
namespace {

using consensus::Lsn;
using consensus::Prng;
using wal_test::decode_stream;
using wal_test::DecodeOutcome;
using wal_test::make_generator;
using wal_test::offset_of;
using wal_test::record_data_end;
using wal_test::SeenRecord;

using State = WalDecoder::State;

constexpr std::uint64_t kMiB = std::uint64_t{1} << 20;
constexpr std::uint32_t kPage = kWalPageSizeBytes;

SeenRecord seen(const GeneratedRecord& r, std::uint8_t rmid, std::uint8_t info, std::uint32_t xid) {
  return SeenRecord{r.start_lsn, r.end_lsn, rmid, info, xid};
}

// xl_tot_len of what WalGenerator::append_noop writes.
std::uint32_t noop_length(std::size_t main_data_bytes) {
  std::size_t data_header = main_data_bytes > 255 ? 5 : main_data_bytes > 0 ? 2 : 0;
  return static_cast<std::uint32_t>(kRecordHeaderSizeBytes + data_header + main_data_bytes);
}

SeenRecord noop(WalGenerator& generator, std::size_t main_data_bytes) {
  return seen(generator.append_noop(main_data_bytes), kRmgrXlog, kXlogNoop, 0);
}

SeenRecord commit(WalGenerator& generator, std::uint32_t xid, std::int64_t time_us) {
  return seen(generator.append_commit(xid, time_us), kRmgrXact, kXactCommit, xid);
}

// A random record boundary: a segment start, a page start, or a page start plus an aligned offset.
Lsn random_start(Prng& prng, std::uint64_t seg_size_bytes) {
  std::uint64_t segno = 1 + prng.below(4);
  std::uint64_t page = prng.below(seg_size_bytes / kPage);
  switch (prng.below(3)) {
    case 0:
      return segment_start(segno, seg_size_bytes);
    case 1:
      return segment_start(segno, seg_size_bytes)
          .plus_bytes(std::max<std::uint64_t>(page, 1) * kPage);
    default: {
      std::uint64_t header = page == 0 ? kLongPageHeaderSizeBytes : kShortPageHeaderSizeBytes;
      std::uint64_t offset = header + 8 * prng.below((kPage - header) / 8);
      return segment_start(segno, seg_size_bytes).plus_bytes(page * kPage + offset);
    }
  }
}

TEST(WalDecoderTest, GeneratedWal_RoundTripsOverRandomSizesStartsAndChunkings) {
  for (std::uint64_t seed = 1; seed <= 60; ++seed) {
    SCOPED_TRACE(testing::Message() << "seed " << seed);
    Prng prng(seed);
    WalGeneratorOptions generator_options;
    generator_options.seg_size_bytes = kMiB << prng.below(2);
    Lsn start = random_start(prng, generator_options.seg_size_bytes);
    WalGenerator generator = make_generator(start, generator_options);

    std::vector<SeenRecord> expected;
    std::vector<std::optional<std::int64_t>> expected_times;
    while (generator.position().bytes_since(start) < 400 * 1024 && expected.size() < 300) {
      std::uint64_t kind = prng.below(60);
      if (kind == 0) {
        expected.push_back(seen(generator.append_switch(), kRmgrXlog, kXlogSwitch, 0));
        expected_times.push_back(std::nullopt);
      } else if (kind < 10) {
        auto time = static_cast<std::int64_t>(prng.below(std::uint64_t{1} << 52));
        expected.push_back(
            commit(generator, static_cast<std::uint32_t>(1 + expected.size()), time));
        expected_times.push_back(time);
      } else if (kind < 14) {
        expected.push_back(noop(generator, 8000 + prng.below(30000)));
        expected_times.push_back(std::nullopt);
      } else {
        expected.push_back(noop(generator, prng.below(kind < 20 ? 8200 : 300)));
        expected_times.push_back(std::nullopt);
      }
    }

    const std::size_t max_chunks[] = {1, 7, 100, 5000, 100000};
    std::size_t max_chunk = max_chunks[prng.below(5)];
    WalDecoderOptions options;
    options.seg_size_bytes = generator_options.seg_size_bytes;
    options.system_id = generator_options.system_id;
    options.pg_timeline_id = 1;
    DecodeOutcome outcome = decode_stream(start, generator.bytes(), options, &prng, max_chunk);

    EXPECT_EQ(outcome.state, State::kDecoding) << (outcome.stop ? outcome.stop->reason : "");
    EXPECT_EQ(outcome.records, expected);
    EXPECT_EQ(outcome.xact_times, expected_times);
    EXPECT_FALSE(outcome.in_record);
    EXPECT_EQ(outcome.end_of_valid_wal, generator.position());
    EXPECT_EQ(outcome.position, generator.position());
  }
}

TEST(WalDecoderTest, RecordSpanningThreePages_IsReassembled) {
  Lsn start(0x1002000 + 1000);
  WalGenerator generator = make_generator(start);
  std::vector<SeenRecord> expected = {noop(generator, 20000), commit(generator, 9, 12345)};
  ASSERT_GT(expected[0].end_lsn.value(), 0x1006000u);  // Crosses into a third page.
  DecodeOutcome outcome = decode_stream(start, generator.bytes());
  EXPECT_EQ(outcome.records, expected);
  EXPECT_EQ(outcome.xact_times[1], 12345);
  EXPECT_EQ(outcome.end_of_valid_wal, generator.position());
}

TEST(WalDecoderTest, RecordHeaderSplitAcrossPages_IsReassembled) {
  // Records starting 8 and 16 bytes before a page end have headers cut by the page boundary.
  for (std::uint64_t before_end : {8, 16}) {
    SCOPED_TRACE(before_end);
    Lsn start(0x1004000 - before_end);
    WalGenerator generator = make_generator(start);
    std::vector<SeenRecord> expected = {noop(generator, 100), noop(generator, 0)};
    Prng prng(before_end);
    DecodeOutcome outcome = decode_stream(start, generator.bytes(), {}, &prng, 3);
    EXPECT_EQ(outcome.state, State::kDecoding);
    EXPECT_EQ(outcome.records, expected);
  }
}

TEST(WalDecoderTest, RecordEndingExactlyAtPageEnd_NextRecordFollowsPageHeader) {
  Lsn start(0x1002000 + 24);
  WalGenerator generator = make_generator(start);
  std::vector<SeenRecord> expected = {noop(generator, 8192 - 24 - 24 - 5), noop(generator, 3)};
  EXPECT_EQ(expected[0].end_lsn, Lsn(0x1004000));
  EXPECT_EQ(expected[1].start_lsn, Lsn(0x1004000 + 24));
  EXPECT_EQ(decode_stream(start, generator.bytes()).records, expected);
}

TEST(WalDecoderTest, StartAtPageStart_SkipsShortHeader) {
  WalGenerator generator = make_generator(Lsn(0x1002000));
  std::vector<SeenRecord> expected = {noop(generator, 10)};
  EXPECT_EQ(expected[0].start_lsn, Lsn(0x1002000 + 24));
  EXPECT_EQ(decode_stream(Lsn(0x1002000), generator.bytes()).records, expected);
}

TEST(WalDecoderTest, StartAtSegmentStart_ChecksAndSkipsLongHeader) {
  WalGenerator generator = make_generator(Lsn(0x3000000));
  std::vector<SeenRecord> expected = {noop(generator, 10)};
  EXPECT_EQ(expected[0].start_lsn, Lsn(0x3000028));
  EXPECT_EQ(decode_stream(Lsn(0x3000000), generator.bytes()).records, expected);
}

TEST(WalDecoderTest, StartMidPage_AtRecordBoundary_DecodesFromThere) {
  WalGenerator generator = make_generator(Lsn(0x1002000));
  noop(generator, 50);
  SeenRecord second = noop(generator, 9000);
  SeenRecord third = commit(generator, 5, 77);
  std::span<const std::uint8_t> bytes(generator.bytes());
  WalDecoderOptions options;
  options.prev_record_lsn = Lsn(0x1002018);  // The first record, which this decoder skips.
  DecodeOutcome outcome = decode_stream(
      second.start_lsn, bytes.subspan(offset_of(second.start_lsn, Lsn(0x1002000))), options);
  EXPECT_EQ(outcome.records, (std::vector<SeenRecord>{second, third}));
}

TEST(WalDecoderTest, RecordsCrossingSegmentBoundary_ContinueAfterLongHeader) {
  WalGeneratorOptions generator_options;
  generator_options.seg_size_bytes = kMiB;
  generator_options.system_id = 99;
  Lsn start(2 * kMiB - 2 * kPage + 24);
  WalGenerator generator = make_generator(start, generator_options);
  std::vector<SeenRecord> expected = {noop(generator, 20000), commit(generator, 3, 4)};

  PageHeader long_header =
      decode_page_header(std::span(generator.bytes()).subspan(offset_of(Lsn(2 * kMiB), start)));
  EXPECT_EQ(long_header.info, kPageLongHeader | kPageFirstIsContRecord | kPageBkpRemovable);
  EXPECT_GT(long_header.rem_len_bytes, 0u);

  WalDecoderOptions options;
  options.seg_size_bytes = kMiB;
  options.system_id = 99;
  DecodeOutcome outcome = decode_stream(start, generator.bytes(), options);
  EXPECT_EQ(outcome.state, State::kDecoding);
  EXPECT_EQ(outcome.records, expected);
}

TEST(WalDecoderTest, SwitchRecord_NextRecordStartsAfterNextSegmentsLongHeader) {
  WalGeneratorOptions generator_options;
  generator_options.seg_size_bytes = kMiB;
  WalGenerator generator = make_generator(Lsn(kMiB + 40), generator_options);
  std::vector<SeenRecord> expected = {noop(generator, 10),
                                      seen(generator.append_switch(), kRmgrXlog, kXlogSwitch, 0),
                                      noop(generator, 10)};
  EXPECT_EQ(expected[1].end_lsn, Lsn(2 * kMiB));
  EXPECT_EQ(expected[2].start_lsn, Lsn(2 * kMiB + 40));
  WalDecoderOptions options;
  options.seg_size_bytes = kMiB;
  Prng prng(5);
  DecodeOutcome outcome = decode_stream(Lsn(kMiB + 40), generator.bytes(), options, &prng, 70000);
  EXPECT_EQ(outcome.records, expected);
  EXPECT_EQ(outcome.end_of_valid_wal, generator.position());
}

TEST(WalDecoderTest, SwitchAsLastRecord_EndOfValidWalIsNextSegmentBeforePaddingArrives) {
  WalGeneratorOptions generator_options;
  generator_options.seg_size_bytes = kMiB;
  WalGenerator generator = make_generator(Lsn(kMiB + 40), generator_options);
  GeneratedRecord switch_record = generator.append_switch();
  WalDecoderOptions options;
  options.seg_size_bytes = kMiB;
  std::span<const std::uint8_t> bytes(generator.bytes());
  DecodeOutcome outcome = decode_stream(Lsn(kMiB + 40), bytes.first(100), options);
  EXPECT_EQ(outcome.records.size(), 1u);
  EXPECT_EQ(outcome.end_of_valid_wal, switch_record.end_lsn);
  EXPECT_FALSE(outcome.in_record);
}

// ---- Clean ends: zeros where WAL would continue ----

TEST(WalDecoderTest, ZerosAfterLastRecord_IsCleanEnd) {
  Lsn start(0x1002000 + 24);
  WalGenerator generator = make_generator(start);
  noop(generator, 100);
  SeenRecord last = commit(generator, 1, 2);
  std::vector<std::uint8_t> bytes = generator.bytes();
  bytes.resize(bytes.size() + 3 * kPage, 0);
  DecodeOutcome outcome = decode_stream(start, bytes);
  EXPECT_EQ(outcome.state, State::kEndOfWal);
  ASSERT_TRUE(outcome.stop.has_value());
  EXPECT_EQ(outcome.stop->lsn, last.end_lsn);
  EXPECT_EQ(outcome.end_of_valid_wal, last.end_lsn);
  EXPECT_EQ(outcome.records.size(), 2u);
}

TEST(WalDecoderTest, ZerosAfterRecordEndingAtPageEnd_IsCleanEndAtPageStart) {
  Lsn start(0x1002000 + 24);
  WalGenerator generator = make_generator(start);
  SeenRecord filler = noop(generator, 8192 - 24 - 24 - 5);
  std::vector<std::uint8_t> bytes = generator.bytes();
  bytes.resize(bytes.size() + kPage, 0);
  DecodeOutcome outcome = decode_stream(start, bytes);
  EXPECT_EQ(outcome.state, State::kEndOfWal);
  EXPECT_EQ(outcome.stop->lsn, Lsn(0x1004000));
  EXPECT_EQ(outcome.end_of_valid_wal, filler.end_lsn);
}

TEST(WalDecoderTest, ZeroPageWhereRecordContinues_IsEndOfWalCutAtRecordStart) {
  Lsn start(0x1002000 + 24);
  WalGenerator generator = make_generator(start);
  SeenRecord first = noop(generator, 10);
  SeenRecord torn = noop(generator, 12000);
  std::vector<std::uint8_t> bytes = generator.bytes();
  bytes.resize(offset_of(Lsn(0x1004000), start));  // The next page was never written.
  bytes.resize(bytes.size() + kPage, 0);
  DecodeOutcome outcome = decode_stream(start, bytes);
  EXPECT_EQ(outcome.state, State::kEndOfWal);
  EXPECT_EQ(outcome.stop->lsn, Lsn(0x1004000));
  EXPECT_NE(outcome.stop->reason.find(torn.start_lsn.to_string()), std::string::npos);
  EXPECT_EQ(outcome.end_of_valid_wal, first.end_lsn);
  EXPECT_EQ(outcome.records, std::vector<SeenRecord>{first});
}

TEST(WalDecoderTest, ZeroLengthWithGarbageAfterIt_IsCorruptionNotCleanEnd) {
  Lsn start(0x1002000 + 24);
  WalGenerator generator = make_generator(start);
  SeenRecord first = noop(generator, 10);
  std::vector<std::uint8_t> bytes = generator.bytes();
  bytes.resize(bytes.size() + 64, 0);
  bytes[offset_of(first.end_lsn, start) + 9] = 0x5A;
  DecodeOutcome outcome = decode_stream(start, bytes);
  EXPECT_EQ(outcome.state, State::kCorruption);
  EXPECT_EQ(outcome.stop->lsn, first.end_lsn);
}

// ---- Torn tails: the stream simply ends ----

TEST(WalDecoderTest, TruncatedStream_AtEveryByte_IsIncompleteAtLastRecordEnd) {
  Lsn start(0x1002000 + 6000);
  WalGenerator generator = make_generator(start);
  std::vector<SeenRecord> records = {noop(generator, 100), noop(generator, 5000),
                                     noop(generator, 0), commit(generator, 8, 9),
                                     noop(generator, 3000)};
  const std::uint32_t lengths[] = {noop_length(100), noop_length(5000), noop_length(0), 24 + 2 + 8,
                                   noop_length(3000)};
  std::vector<Lsn> data_ends;
  for (std::size_t i = 0; i < records.size(); ++i) {
    data_ends.push_back(
        record_data_end(records[i].start_lsn, lengths[i], kDefaultSegmentSizeBytes));
  }
  std::span<const std::uint8_t> bytes(generator.bytes());
  for (std::size_t cut = 0; cut <= bytes.size(); ++cut) {
    SCOPED_TRACE(cut);
    Lsn cut_lsn = start.plus_bytes(cut);
    DecodeOutcome outcome = decode_stream(start, bytes.first(cut));
    std::size_t complete = 0;
    while (complete < records.size() && data_ends[complete] <= cut_lsn) {
      ++complete;
    }
    ASSERT_EQ(outcome.state, State::kDecoding);
    ASSERT_EQ(outcome.records,
              std::vector<SeenRecord>(records.begin(), records.begin() + complete));
    ASSERT_EQ(outcome.end_of_valid_wal, complete == 0 ? start : records[complete - 1].end_lsn);
    bool partial = complete < records.size() && cut_lsn > records[complete].start_lsn;
    ASSERT_EQ(outcome.in_record, partial);
  }
}

// ---- Corruption ----

TEST(WalDecoderTest, FlippedByteInPayload_ReportsCorruptionAtRecordStart) {
  Lsn start(0x1002000 + 24);
  WalGenerator generator = make_generator(start);
  SeenRecord first = noop(generator, 100);
  SeenRecord victim = noop(generator, 300);
  noop(generator, 100);
  std::vector<std::uint8_t> bytes = generator.bytes();
  bytes[offset_of(victim.start_lsn, start) + 200] ^= 0x10;
  DecodeOutcome outcome = decode_stream(start, bytes);
  EXPECT_EQ(outcome.state, State::kCorruption);
  EXPECT_EQ(outcome.stop->lsn, victim.start_lsn);
  EXPECT_NE(outcome.stop->reason.find("CRC"), std::string::npos);
  EXPECT_EQ(outcome.records, std::vector<SeenRecord>{first});
  EXPECT_EQ(outcome.end_of_valid_wal, victim.start_lsn);
}

// Every bit position of every byte of a record that spans two pages (page header excluded: see
// the page header tests below).
TEST(WalDecoderTest, AnySingleByteCorruptionInRecord_IsDetectedAndCutAtRecordStart) {
  Lsn start(0x1002000 + 24);
  WalGenerator generator = make_generator(start);
  SeenRecord first = noop(generator, 5000);
  SeenRecord victim = noop(generator, 5000);  // Crosses into the page at 0x1004000.
  noop(generator, 50);
  ASSERT_GT(victim.end_lsn, Lsn(0x1004000));
  const std::vector<std::uint8_t> clean = generator.bytes();
  std::size_t victim_begin = offset_of(victim.start_lsn, start);
  // Alignment padding after the record is not covered by any check, as in PostgreSQL.
  std::size_t victim_data_end = offset_of(
      record_data_end(victim.start_lsn, noop_length(5000), kDefaultSegmentSizeBytes), start);
  std::size_t page_header_begin = offset_of(Lsn(0x1004000), start);
  std::size_t flipped_bytes = 0;
  for (std::size_t at = victim_begin; at < victim_data_end; ++at) {
    if (at >= page_header_begin && at < page_header_begin + kShortPageHeaderSizeBytes) {
      continue;
    }
    ++flipped_bytes;
    SCOPED_TRACE(testing::Message() << "byte at " << start.plus_bytes(at).to_string());
    std::vector<std::uint8_t> bytes = clean;
    bytes[at] ^= static_cast<std::uint8_t>(1u << (at % 8));
    DecodeOutcome outcome = decode_stream(start, bytes);
    ASSERT_EQ(outcome.records, std::vector<SeenRecord>{first});
    ASSERT_EQ(outcome.end_of_valid_wal, victim.start_lsn);
    bool in_length_field = at < victim_begin + 4;
    if (in_length_field) {
      // A longer xl_tot_len makes the record swallow what follows: caught by a page header, a CRC,
      // or still waiting for bytes. Never a clean end.
      ASSERT_TRUE(outcome.state == State::kCorruption || outcome.in_record);
    } else {
      ASSERT_EQ(outcome.state, State::kCorruption);
      ASSERT_EQ(outcome.stop->lsn, victim.start_lsn);
    }
  }
  EXPECT_EQ(flipped_bytes, noop_length(5000));  // Every byte of the record, none of the page's.
}

// A WAL stream with a multi-page record, and a way to damage the header of its second page.
struct ContinuationFixture {
  Lsn start{0x1002000};
  Lsn page{0x1004000};
  SeenRecord first;
  SeenRecord spanning;
  std::vector<std::uint8_t> bytes;

  ContinuationFixture() {
    WalGenerator generator = make_generator(start);
    first = noop(generator, 10);
    spanning = noop(generator, 10000);
    noop(generator, 10);
    bytes = generator.bytes();
  }
  std::uint8_t* page_header() { return bytes.data() + offset_of(page, start); }
};

TEST(WalDecoderTest, DamagedContinuationPageHeader_IsCorruptionAtThatPage) {
  struct Case {
    const char* name;
    void (*damage)(std::uint8_t* header);
    const char* reason_part;
  };
  const Case cases[] = {
      {"magic", [](std::uint8_t* h) { store_u16(h, 0xD10D); }, "magic"},
      {"unknown info bit", [](std::uint8_t* h) { h[2] |= 0x10; }, "info bits"},
      {"continuation flag cleared", [](std::uint8_t* h) { h[2] &= ~kPageFirstIsContRecord; },
       "continuation flag"},
      {"long header flag on a middle page", [](std::uint8_t* h) { h[2] |= kPageLongHeader; },
       "long page header"},
      {"timeline went backwards", [](std::uint8_t* h) { store_u32(h + 4, 0); }, "timeline"},
      {"stale page address", [](std::uint8_t* h) { store_u64(h + 8, 0x4004000); }, "page address"},
      {"remaining length off by one",
       [](std::uint8_t* h) { store_u32(h + 16, load_u32(h + 16) + 1); }, "continuation length"},
      {"remaining length zero", [](std::uint8_t* h) { store_u32(h + 16, 0); },
       "continuation length"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    ContinuationFixture wal;
    c.damage(wal.page_header());
    DecodeOutcome outcome = decode_stream(wal.start, wal.bytes);
    ASSERT_EQ(outcome.state, State::kCorruption);
    EXPECT_EQ(outcome.stop->lsn, wal.page);
    EXPECT_NE(outcome.stop->reason.find(c.reason_part), std::string::npos) << outcome.stop->reason;
    EXPECT_EQ(outcome.records, std::vector<SeenRecord>{wal.first});
    EXPECT_EQ(outcome.end_of_valid_wal, wal.spanning.start_lsn);
  }
}

TEST(WalDecoderTest, ContinuationFlagWhereNewRecordStarts_IsCorruption) {
  Lsn start(0x1002000);
  WalGenerator generator = make_generator(start);
  SeenRecord filler = noop(generator, 8192 - 24 - 24 - 5);
  noop(generator, 10);
  std::vector<std::uint8_t> bytes = generator.bytes();
  std::uint8_t* header = bytes.data() + offset_of(Lsn(0x1004000), start);
  header[2] |= kPageFirstIsContRecord;
  store_u32(header + 16, 8);
  DecodeOutcome outcome = decode_stream(start, bytes);
  EXPECT_EQ(outcome.state, State::kCorruption);
  EXPECT_EQ(outcome.stop->lsn, Lsn(0x1004000));
  EXPECT_EQ(outcome.end_of_valid_wal, filler.end_lsn);
}

TEST(WalDecoderTest, WrongSystemIdInLongHeader_IsCorruption) {
  WalGeneratorOptions generator_options;
  generator_options.system_id = 111;
  WalGenerator generator = make_generator(Lsn(0x1000000), generator_options);
  noop(generator, 10);
  WalDecoderOptions options;
  options.system_id = 222;
  DecodeOutcome outcome = decode_stream(Lsn(0x1000000), generator.bytes(), options);
  EXPECT_EQ(outcome.state, State::kCorruption);
  EXPECT_EQ(outcome.stop->lsn, Lsn(0x1000000));
  EXPECT_NE(outcome.stop->reason.find("system id 111"), std::string::npos);
}

TEST(WalDecoderTest, WrongSegmentSizeInLongHeader_IsCorruption) {
  WalGeneratorOptions generator_options;
  generator_options.seg_size_bytes = kMiB;
  WalGenerator generator = make_generator(Lsn(4 * kMiB), generator_options);
  noop(generator, 10);
  WalDecoderOptions options;
  options.seg_size_bytes = 2 * kMiB;
  DecodeOutcome outcome = decode_stream(Lsn(4 * kMiB), generator.bytes(), options);
  EXPECT_EQ(outcome.state, State::kCorruption);
  EXPECT_NE(outcome.stop->reason.find("segment size"), std::string::npos);
}

TEST(WalDecoderTest, UnexpectedTimeline_IsCorruptionWhenOneIsRequired) {
  WalGeneratorOptions generator_options;
  generator_options.pg_timeline_id = 2;
  WalGenerator generator = make_generator(Lsn(0x1002000), generator_options);
  noop(generator, 10);
  WalDecoderOptions options;
  options.pg_timeline_id = 1;
  DecodeOutcome outcome = decode_stream(Lsn(0x1002000), generator.bytes(), options);
  EXPECT_EQ(outcome.state, State::kCorruption);
  EXPECT_EQ(outcome.stop->lsn, Lsn(0x1002000));
}

TEST(WalDecoderTest, PrevLinkNotMatchingPreviousRecord_IsCorruption) {
  Lsn start(0x1002000 + 24);
  WalGeneratorOptions generator_options;
  generator_options.prev_record_lsn = Lsn(0x1001F00);
  WalGenerator generator = make_generator(start, generator_options);
  SeenRecord first = noop(generator, 10);
  WalDecoderOptions options;
  options.prev_record_lsn = Lsn(0x1001F08);
  DecodeOutcome outcome = decode_stream(start, generator.bytes(), options);
  EXPECT_EQ(outcome.state, State::kCorruption);
  EXPECT_EQ(outcome.stop->lsn, first.start_lsn);
  EXPECT_NE(outcome.stop->reason.find("prev-link 0/1001F00"), std::string::npos);

  // Unknown predecessor: any earlier LSN is accepted for the first record only.
  EXPECT_EQ(decode_stream(start, generator.bytes()).records, std::vector<SeenRecord>{first});
}

TEST(WalDecoderTest, StaleRecordFromAnotherStream_BreaksPrevChain) {
  // Two streams that agree up to `first`, then write different records at the same LSN. Gluing
  // the second stream's record after another history must fail the prev-link check.
  Lsn start(0x1002000 + 24);
  WalGenerator a = make_generator(start);
  SeenRecord a_first = noop(a, 10);
  noop(a, 10);
  WalGeneratorOptions b_options;
  b_options.prev_record_lsn = Lsn(0x1001000);
  WalGenerator b = make_generator(a_first.end_lsn, b_options);
  noop(b, 10);
  std::vector<std::uint8_t> bytes(a.bytes().begin(),
                                  a.bytes().begin() + offset_of(a_first.end_lsn, start));
  bytes.insert(bytes.end(), b.bytes().begin(), b.bytes().end());
  DecodeOutcome outcome = decode_stream(start, bytes);
  EXPECT_EQ(outcome.state, State::kCorruption);
  EXPECT_EQ(outcome.stop->lsn, a_first.end_lsn);
  EXPECT_EQ(outcome.end_of_valid_wal, a_first.end_lsn);
}

TEST(WalDecoderTest, BadRecordHeaderFields_AreCorruptionAtRecordStart) {
  struct Case {
    const char* name;
    void (*damage)(std::uint8_t* record);
    const char* reason_part;
  };
  const Case cases[] = {
      {"length below header size", [](std::uint8_t* r) { store_u32(r, 10); }, "record length 10"},
      {"length above the bound", [](std::uint8_t* r) { store_u32(r, 0xFFFFFFF0u); },
       "record length"},
      {"invalid resource manager", [](std::uint8_t* r) { r[17] = 50; }, "resource manager id 50"},
      {"wrong CRC", [](std::uint8_t* r) { r[20] ^= 1; }, "CRC"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    Lsn start(0x1002000 + 24);
    WalGenerator generator = make_generator(start);
    SeenRecord first = noop(generator, 10);
    SeenRecord victim = noop(generator, 40);
    std::vector<std::uint8_t> bytes = generator.bytes();
    c.damage(bytes.data() + offset_of(victim.start_lsn, start));
    DecodeOutcome outcome = decode_stream(start, bytes);
    ASSERT_EQ(outcome.state, State::kCorruption);
    EXPECT_EQ(outcome.stop->lsn, victim.start_lsn);
    EXPECT_NE(outcome.stop->reason.find(c.reason_part), std::string::npos) << outcome.stop->reason;
    EXPECT_EQ(outcome.records, std::vector<SeenRecord>{first});
  }
}

TEST(WalDecoderTest, RecordLargerThanConfiguredBound_IsCorruption) {
  Lsn start(0x1002000 + 24);
  WalGenerator generator = make_generator(start);
  noop(generator, 5000);
  WalDecoderOptions options;
  options.max_record_size_bytes = 4096;
  DecodeOutcome outcome = decode_stream(start, generator.bytes(), options);
  EXPECT_EQ(outcome.state, State::kCorruption);
  EXPECT_EQ(outcome.stop->lsn, start);
}

// PostgreSQL ended recovery inside a multi-page record and wrote new WAL from the page where the
// record would have continued, flagging it XLP_FIRST_IS_OVERWRITE_CONTRECORD.
TEST(WalDecoderTest, OverwriteContRecordPage_AbandonsPartialRecordAndContinues) {
  Lsn start(0x1002000 + 24);
  Lsn page(0x1004000);
  WalGenerator old_timeline = make_generator(start);
  SeenRecord first = noop(old_timeline, 10);
  noop(old_timeline, 12000);  // Its continuation never reached the disk.
  std::vector<std::uint8_t> bytes(old_timeline.bytes().begin(),
                                  old_timeline.bytes().begin() + offset_of(page, start));

  WalGeneratorOptions options;
  options.prev_record_lsn = first.start_lsn;
  WalGenerator after_recovery = make_generator(page, options);
  std::uint8_t overwrite_data[16] = {};
  SeenRecord overwrite =
      seen(after_recovery.append_record(kRmgrXlog, kXlogOverwriteContRecord, 0, overwrite_data),
           kRmgrXlog, kXlogOverwriteContRecord, 0);
  SeenRecord later = noop(after_recovery, 10);
  std::vector<std::uint8_t> tail = after_recovery.bytes();
  tail[2] |= kPageFirstIsOverwriteContRecord;
  bytes.insert(bytes.end(), tail.begin(), tail.end());

  DecodeOutcome outcome = decode_stream(start, bytes);
  EXPECT_EQ(outcome.state, State::kDecoding) << (outcome.stop ? outcome.stop->reason : "");
  EXPECT_EQ(outcome.records, (std::vector<SeenRecord>{first, overwrite, later}));
}

TEST(WalDecoderTest, FeedAfterStop_IsIgnored) {
  Lsn start(0x1002000 + 24);
  WalGenerator generator = make_generator(start);
  noop(generator, 10);
  std::vector<std::uint8_t> bytes = generator.bytes();
  bytes.resize(bytes.size() + 32, 0);
  WalDecoder decoder = std::move(WalDecoder::create(start, {})).value();
  int records = 0;
  auto count = [&](const WalRecord&) { ++records; };
  decoder.feed(bytes, count);
  ASSERT_EQ(decoder.state(), State::kEndOfWal);
  Lsn position = decoder.position();
  WalGenerator more = make_generator(Lsn(0x1003000));
  noop(more, 10);
  decoder.feed(more.bytes(), count);
  EXPECT_EQ(decoder.state(), State::kEndOfWal);
  EXPECT_EQ(decoder.position(), position);
  EXPECT_EQ(records, 1);
}

TEST(WalDecoderTest, Create_RejectsAPositionWhereNoRecordCanBegin) {
  // The rule is check_record_start's (segment_name_test.cc); here, that create() asks it.
  Result<WalDecoder> created = WalDecoder::create(Lsn(0x1000020), WalDecoderOptions{});
  ASSERT_FALSE(created.has_value());
  EXPECT_EQ(created.error().message(),
            check_record_start(Lsn(0x1000020), 16 * kMiB).error().message());
}

}  // namespace
}  // namespace sk::pgwal
