// Helpers shared by the pgwal tests: run a byte stream through a WalDecoder in a chosen chunking
// and collect what it reported, and compute where a generated record's last byte lies.
#pragma once

#include <algorithm>
#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include <gtest/gtest.h>

#include "consensus/prng.h"
#include "consensus/types.h"
#include "safekeeper/pgwal/segment_name.h"
#include "safekeeper/pgwal/wal_decoder.h"
#include "safekeeper/pgwal/wal_generator.h"

namespace sk::pgwal::wal_test {

using consensus::Lsn;
using consensus::Prng;

// What a test expects of, or saw in, one record.
struct SeenRecord {
  Lsn start_lsn;
  Lsn end_lsn;
  std::uint8_t rmid = 0;
  std::uint8_t info = 0;
  std::uint32_t xid = 0;
  friend bool operator==(const SeenRecord&, const SeenRecord&) = default;
};

inline void PrintTo(const SeenRecord& r, std::ostream* os) {
  *os << "{" << r.start_lsn.to_string() << ".." << r.end_lsn.to_string() << " rmid " << int{r.rmid}
      << " info " << int{r.info} << " xid " << r.xid << "}";
}

struct DecodeOutcome {
  std::vector<SeenRecord> records;
  std::vector<std::optional<std::int64_t>> xact_times;
  WalDecoder::State state = WalDecoder::State::kDecoding;
  std::optional<WalDecoder::Stop> stop;
  Lsn end_of_valid_wal;
  Lsn position;
  bool in_record = false;
};

// Feeds `bytes` in one piece, or, with a chunker, in pieces of 1..max_chunk_bytes bytes.
inline DecodeOutcome decode_stream(Lsn start_lsn, std::span<const std::uint8_t> bytes,
                                   const WalDecoderOptions& options = {}, Prng* chunker = nullptr,
                                   std::size_t max_chunk_bytes = 1) {
  Result<WalDecoder> created = WalDecoder::create(start_lsn, options);
  SK_CHECK_MSG(created.has_value(), created.error().to_string());
  WalDecoder decoder = std::move(created).value();
  DecodeOutcome outcome;
  WalDecoder::RecordCallback on_record = [&](const WalRecord& record) {
    outcome.records.push_back({record.start_lsn, record.end_lsn, record.header.rmid,
                               record.header.info, record.header.xid});
    outcome.xact_times.push_back(xact_time_of(record));
  };
  std::size_t offset = 0;
  while (offset < bytes.size()) {
    std::size_t chunk = bytes.size() - offset;
    if (chunker != nullptr) {
      chunk = std::min<std::size_t>(chunk, 1 + chunker->below(max_chunk_bytes));
    }
    decoder.feed(bytes.subspan(offset, chunk), on_record);
    offset += chunk;
  }
  outcome.state = decoder.state();
  outcome.stop = decoder.stop();
  outcome.end_of_valid_wal = decoder.end_of_valid_wal();
  outcome.position = decoder.position();
  outcome.in_record = decoder.in_record();
  return outcome;
}

// Where the last byte of a record starting at `start_lsn` ends (exclusive, before alignment
// padding), stepping over the page headers it crosses. Independent of the decoder on purpose.
inline Lsn record_data_end(Lsn start_lsn, std::uint32_t tot_len_bytes,
                           std::uint64_t seg_size_bytes) {
  std::uint64_t position = start_lsn.value();
  std::uint64_t remaining = tot_len_bytes;
  while (remaining > 0) {
    if (position % kWalPageSizeBytes == 0) {
      position += segment_offset(Lsn(position), seg_size_bytes) == 0 ? kLongPageHeaderSizeBytes
                                                                     : kShortPageHeaderSizeBytes;
    }
    std::uint64_t take =
        std::min<std::uint64_t>(remaining, kWalPageSizeBytes - position % kWalPageSizeBytes);
    position += take;
    remaining -= take;
  }
  return Lsn(position);
}

inline WalGenerator make_generator(Lsn start_lsn, const WalGeneratorOptions& options = {}) {
  Result<WalGenerator> created = WalGenerator::create(start_lsn, options);
  SK_CHECK_MSG(created.has_value(), created.error().to_string());
  return std::move(created).value();
}

// Index of the byte at `lsn` in a stream that starts at `stream_start`.
inline std::size_t offset_of(Lsn lsn, Lsn stream_start) {
  return static_cast<std::size_t>(lsn.bytes_since(stream_start));
}

}  // namespace sk::pgwal::wal_test
