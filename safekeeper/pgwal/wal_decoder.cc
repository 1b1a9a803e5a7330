// The WAL decoder's state machine. Each consume_* step takes what it can of the input for the
// current phase and never crosses a page boundary, so page headers are always seen and checked.
// The checks and their order follow PostgreSQL's xlogreader.c (XLogDecodeNextRecord,
// XLogReaderValidatePageHeader, ValidXLogRecordHeader, ValidXLogRecord).
#include "safekeeper/pgwal/wal_decoder.h"

#include <algorithm>
#include <utility>

#include "consensus/check.h"
#include "safekeeper/pgwal/crc32c.h"
#include "safekeeper/pgwal/segment_name.h"

namespace sk::pgwal {
namespace {

using consensus::Lsn;

bool all_zero(std::span<const std::uint8_t> bytes) {
  return std::all_of(bytes.begin(), bytes.end(), [](std::uint8_t b) { return b == 0; });
}

// Uppercase hex without padding, as PostgreSQL prints magic numbers and info bits.
std::string hex(std::uint64_t value) {
  static constexpr char kDigits[] = "0123456789ABCDEF";
  std::string text;
  do {
    text.insert(text.begin(), kDigits[value & 0xFu]);
    value >>= 4;
  } while (value != 0);
  return text;
}

std::uint32_t page_header_size_at(Lsn page_lsn, std::uint64_t seg_size_bytes) {
  return segment_offset(page_lsn, seg_size_bytes) == 0 ? kLongPageHeaderSizeBytes
                                                       : kShortPageHeaderSizeBytes;
}

}  // namespace

Result<WalDecoder> WalDecoder::create(Lsn start_lsn, const WalDecoderOptions& options) {
  if (Status status = check_record_start(start_lsn, options.seg_size_bytes); !status) {
    return status.error();
  }
  if (options.max_record_size_bytes < kRecordHeaderSizeBytes) {
    return Error(ErrorCode::kInvalidArgument, "max_record_size_bytes " +
                                                  std::to_string(options.max_record_size_bytes) +
                                                  " is below the record header size");
  }
  if (options.prev_record_lsn && *options.prev_record_lsn >= start_lsn) {
    return Error(ErrorCode::kInvalidArgument,
                 "previous record LSN " + options.prev_record_lsn->to_string() +
                     " is not before the start LSN " + start_lsn.to_string());
  }
  return WalDecoder(start_lsn, options);
}

WalDecoder::WalDecoder(Lsn start_lsn, const WalDecoderOptions& options)
    : options_(options),
      position_(start_lsn),
      end_of_valid_wal_(start_lsn),
      prev_record_lsn_(options.prev_record_lsn) {
  begin_next_record();
}

void WalDecoder::feed(std::span<const std::uint8_t> bytes, const RecordCallback& on_record) {
  std::size_t offset = 0;
  while (offset < bytes.size() && !stop_) {
    std::span<const std::uint8_t> rest = bytes.subspan(offset);
    std::size_t consumed = 0;
    switch (phase_) {
      case Phase::kPageHeader:
        consumed = consume_page_header(rest);
        break;
      case Phase::kRecordHeader:
        consumed = consume_record_header(rest, on_record);
        break;
      case Phase::kRecordBody:
        consumed = consume_record_body(rest, on_record);
        break;
      case Phase::kSkip:
        consumed = consume_skip(rest);
        break;
    }
    // Every step either consumes input or stops; a step doing neither would spin forever.
    SK_CHECK(consumed > 0 || stop_);
    offset += consumed;
  }
}

std::uint64_t WalDecoder::bytes_left_in_page() const {
  return kWalPageSizeBytes - position_.value() % kWalPageSizeBytes;
}

void WalDecoder::halt(State state, Lsn lsn, std::string reason) {
  SK_CHECK(state != State::kDecoding);
  stop_ = Stop{state, lsn, std::move(reason)};
}

void WalDecoder::begin_page_header(Phase resume) {
  SK_CHECK(position_.value() % kWalPageSizeBytes == 0);
  page_header_received_bytes_ = 0;
  resume_phase_ = resume;
  phase_ = Phase::kPageHeader;
}

void WalDecoder::begin_next_record() {
  record_.clear();
  record_length_bytes_ = 0;
  if (position_.value() % kWalPageSizeBytes == 0) {
    begin_page_header(Phase::kRecordHeader);  // record_start_ is set once the header is known.
  } else {
    record_start_ = position_;
    phase_ = Phase::kRecordHeader;
  }
}

std::size_t WalDecoder::consume_page_header(std::span<const std::uint8_t> bytes) {
  Lsn page_lsn(position_.value() - page_header_received_bytes_);
  std::uint32_t header_size = page_header_size_at(page_lsn, options_.seg_size_bytes);
  std::size_t take = std::min<std::size_t>(bytes.size(), header_size - page_header_received_bytes_);
  std::copy_n(bytes.begin(), take, page_header_.begin() + page_header_received_bytes_);
  page_header_received_bytes_ += static_cast<std::uint32_t>(take);
  position_ = position_.plus_bytes(take);
  if (page_header_received_bytes_ < header_size) {
    return take;
  }
  if (!check_page_header(page_lsn, header_size)) {
    return take;
  }
  phase_ = resume_phase_;
  if (!in_record()) {
    record_start_ = position_;
  }
  return take;
}

bool WalDecoder::check_page_header(Lsn page_lsn, std::uint32_t header_size_bytes) {
  std::span<const std::uint8_t> raw(page_header_.data(), header_size_bytes);
  // Built only on failure: this runs for every page.
  auto where = [&] { return " in the page at " + page_lsn.to_string(); };
  if (all_zero(raw)) {
    if (in_record()) {
      halt(State::kEndOfWal, page_lsn,
           "the record at " + record_start_.to_string() + " continues into an unwritten page at " +
               page_lsn.to_string());
    } else {
      halt(State::kEndOfWal, page_lsn,
           "zeros where the page header at " + page_lsn.to_string() + " should be");
    }
    return false;
  }
  PageHeader header = decode_page_header(raw);
  if (header.magic != kPageMagicPg15) {
    halt(State::kCorruption, page_lsn,
         "invalid magic number " + hex(header.magic) + where() + " (PostgreSQL 15 writes D110)");
    return false;
  }
  if ((header.info & ~kPageAllFlags) != 0) {
    halt(State::kCorruption, page_lsn, "invalid info bits " + hex(header.info) + where());
    return false;
  }
  bool segment_start = header_size_bytes == kLongPageHeaderSizeBytes;
  if (header.is_long() != segment_start) {
    halt(State::kCorruption, page_lsn,
         std::string(segment_start ? "short" : "long") + " page header" + where() +
             (segment_start ? ", the first page of a segment" : ", not a segment's first page"));
    return false;
  }
  if (header.page_addr != page_lsn) {
    halt(State::kCorruption, page_lsn,
         "unexpected page address " + header.page_addr.to_string() + where() +
             " (a recycled or misplaced segment)");
    return false;
  }
  if (options_.pg_timeline_id && header.pg_timeline_id != *options_.pg_timeline_id) {
    halt(State::kCorruption, page_lsn,
         "timeline " + std::to_string(header.pg_timeline_id) + where() + ", expected " +
             std::to_string(*options_.pg_timeline_id));
    return false;
  }
  if (header.pg_timeline_id < latest_page_tli_) {
    halt(State::kCorruption, page_lsn,
         "out-of-sequence timeline " + std::to_string(header.pg_timeline_id) + " after " +
             std::to_string(latest_page_tli_) + where());
    return false;
  }
  latest_page_tli_ = header.pg_timeline_id;
  if (header.is_long()) {
    if (options_.system_id && header.system_id != *options_.system_id) {
      halt(State::kCorruption, page_lsn,
           "WAL from another database system: system id " + std::to_string(header.system_id) +
               where() + ", expected " + std::to_string(*options_.system_id));
      return false;
    }
    if (header.seg_size_bytes != options_.seg_size_bytes) {
      halt(State::kCorruption, page_lsn,
           "segment size " + std::to_string(header.seg_size_bytes) + where() + ", expected " +
               std::to_string(options_.seg_size_bytes));
      return false;
    }
    if (header.page_size_bytes != kWalPageSizeBytes) {
      halt(State::kCorruption, page_lsn,
           "WAL page size " + std::to_string(header.page_size_bytes) + where() + ", expected " +
               std::to_string(kWalPageSizeBytes));
      return false;
    }
  }

  if (!in_record()) {
    if ((header.info & kPageFirstIsContRecord) != 0) {
      halt(State::kCorruption, page_lsn,
           "the page at " + page_lsn.to_string() +
               " continues a record, but a new record should start there");
      return false;
    }
    return true;
  }
  if ((header.info & kPageFirstIsOverwriteContRecord) != 0) {
    // PostgreSQL ended recovery inside the record we are assembling and wrote new WAL from this
    // page on: the partial record is abandoned and was never part of the valid WAL.
    record_.clear();
    record_length_bytes_ = 0;
    resume_phase_ = Phase::kRecordHeader;
    return true;
  }
  if ((header.info & kPageFirstIsContRecord) == 0) {
    halt(State::kCorruption, page_lsn,
         "the record at " + record_start_.to_string() +
             " continues, but the continuation flag is missing" + where());
    return false;
  }
  std::uint64_t remaining = std::uint64_t{record_length_bytes_} - record_.size();
  if (header.rem_len_bytes == 0 || header.rem_len_bytes != remaining) {
    halt(State::kCorruption, page_lsn,
         "continuation length " + std::to_string(header.rem_len_bytes) + where() + ", expected " +
             std::to_string(remaining) + " for the record at " + record_start_.to_string());
    return false;
  }
  return true;
}

std::size_t WalDecoder::append_to_record(std::span<const std::uint8_t> bytes, std::size_t wanted) {
  std::size_t take =
      std::min({bytes.size(), wanted, static_cast<std::size_t>(bytes_left_in_page())});
  record_.insert(record_.end(), bytes.begin(), bytes.begin() + static_cast<std::ptrdiff_t>(take));
  position_ = position_.plus_bytes(take);
  return take;
}

std::size_t WalDecoder::consume_record_header(std::span<const std::uint8_t> bytes,
                                              const RecordCallback& on_record) {
  std::size_t take = append_to_record(bytes, kRecordHeaderSizeBytes - record_.size());
  bool header_complete = record_.size() == kRecordHeaderSizeBytes;
  bool at_page_end = position_.value() % kWalPageSizeBytes == 0;
  if (!header_complete && !at_page_end) {
    return take;  // Out of input.
  }
  // The part of the header on the record's first page is in: xl_tot_len can be judged.
  if (record_length_bytes_ == 0 && !check_record_length()) {
    return take;
  }
  if (!header_complete) {
    begin_page_header(Phase::kRecordHeader);  // The header continues on the next page.
    return take;
  }
  if (!check_record_header()) {
    return take;
  }
  if (record_.size() == record_length_bytes_) {
    complete_record(on_record);
  } else if (at_page_end) {
    begin_page_header(Phase::kRecordBody);
  } else {
    phase_ = Phase::kRecordBody;
  }
  return take;
}

bool WalDecoder::check_record_length() {
  std::uint32_t length = load_u32(record_.data());
  if (length == 0) {
    if (all_zero(record_)) {
      halt(State::kEndOfWal, record_start_,
           "zeros where the record at " + record_start_.to_string() + " should start");
    } else {
      halt(State::kCorruption, record_start_,
           "invalid record length 0 at " + record_start_.to_string());
    }
    return false;
  }
  if (length < kRecordHeaderSizeBytes || length > options_.max_record_size_bytes) {
    halt(State::kCorruption, record_start_,
         "invalid record length " + std::to_string(length) + " at " + record_start_.to_string() +
             ": expected " + std::to_string(kRecordHeaderSizeBytes) + " to " +
             std::to_string(options_.max_record_size_bytes));
    return false;
  }
  record_length_bytes_ = length;
  return true;
}

bool WalDecoder::check_record_header() {
  RecordHeader header = decode_record_header(record_);
  if (!is_valid_rmgr_id(header.rmid)) {
    halt(State::kCorruption, record_start_,
         "invalid resource manager id " + std::to_string(header.rmid) + " at " +
             record_start_.to_string());
    return false;
  }
  // An exact prev-link guards against a stale but valid-looking record left in a reused page.
  bool prev_ok = prev_record_lsn_ ? header.prev == *prev_record_lsn_ : header.prev < record_start_;
  if (!prev_ok) {
    halt(State::kCorruption, record_start_,
         "record at " + record_start_.to_string() + " has prev-link " + header.prev.to_string() +
             (prev_record_lsn_ ? ", expected " + prev_record_lsn_->to_string()
                               : ", which is not before it"));
    return false;
  }
  return true;
}

std::size_t WalDecoder::consume_record_body(std::span<const std::uint8_t> bytes,
                                            const RecordCallback& on_record) {
  std::size_t take = append_to_record(bytes, record_length_bytes_ - record_.size());
  if (record_.size() == record_length_bytes_) {
    complete_record(on_record);
  } else if (position_.value() % kWalPageSizeBytes == 0) {
    begin_page_header(Phase::kRecordBody);
  }
  return take;
}

void WalDecoder::complete_record(const RecordCallback& on_record) {
  RecordHeader header = decode_record_header(record_);
  std::span<const std::uint8_t> all(record_);
  // PostgreSQL's order: the body first, then the header up to the CRC field.
  Crc32c crc;
  crc.update(all.subspan(kRecordHeaderSizeBytes));
  crc.update(all.first(kRecordCrcOffsetBytes));
  if (crc.finish() != header.crc) {
    halt(State::kCorruption, record_start_,
         "incorrect CRC in the record at " + record_start_.to_string() + ": computed " +
             hex(crc.finish()) + ", stored " + hex(header.crc));
    return;
  }

  WalRecord record{record_start_, Lsn(max_align(position_.value())), header, all};
  if (record.is_switch()) {
    // The rest of the segment is padding: the record ends where the next segment starts.
    std::uint64_t seg = options_.seg_size_bytes;
    record.end_lsn = Lsn((record.end_lsn.value() + seg - 1) / seg * seg);
  }
  end_of_valid_wal_ = record.end_lsn;
  prev_record_lsn_ = record_start_;
  on_record(record);

  skip_until_ = record.end_lsn;
  if (skip_until_ == position_) {
    begin_next_record();
  } else {
    record_.clear();
    phase_ = Phase::kSkip;
  }
}

std::size_t WalDecoder::consume_skip(std::span<const std::uint8_t> bytes) {
  std::size_t take = static_cast<std::size_t>(
      std::min<std::uint64_t>(bytes.size(), skip_until_.bytes_since(position_)));
  position_ = position_.plus_bytes(take);
  if (position_ == skip_until_) {
    begin_next_record();
  }
  return take;
}

}  // namespace sk::pgwal
