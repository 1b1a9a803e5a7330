// Builds each record whole (header, body, CRC) and then lays it out over pages, inserting a page
// header at every 8 KiB boundary, as PostgreSQL's CopyXLogRecordToWAL does.
#include "safekeeper/pgwal/wal_generator.h"

#include <algorithm>

#include "consensus/check.h"
#include "safekeeper/pgwal/crc32c.h"
#include "safekeeper/pgwal/segment_name.h"

namespace sk::pgwal {

using consensus::Lsn;

Result<WalGenerator> WalGenerator::create(Lsn start_lsn, const WalGeneratorOptions& options) {
  if (Status status = check_record_start(start_lsn, options.seg_size_bytes); !status) {
    return status.error();
  }
  if (options.prev_record_lsn >= start_lsn) {
    return Error(ErrorCode::kInvalidArgument,
                 "previous record LSN " + options.prev_record_lsn.to_string() +
                     " is not before the start LSN " + start_lsn.to_string());
  }
  return WalGenerator(start_lsn, options);
}

WalGenerator::WalGenerator(Lsn start_lsn, const WalGeneratorOptions& options)
    : options_(options),
      position_(start_lsn),
      prev_record_lsn_(options.prev_record_lsn),
      bytes_start_lsn_(start_lsn) {}

std::uint64_t WalGenerator::bytes_left_in_page() const {
  return kWalPageSizeBytes - position_.value() % kWalPageSizeBytes;
}

void WalGenerator::write_zeros(std::uint64_t count) {
  bytes_.resize(bytes_.size() + count, 0);
  position_ = position_.plus_bytes(count);
}

void WalGenerator::write_page_header(std::uint32_t continued_bytes) {
  SK_CHECK(position_.value() % kWalPageSizeBytes == 0);
  PageHeader header;
  header.pg_timeline_id = options_.pg_timeline_id;
  header.page_addr = position_;
  header.rem_len_bytes = continued_bytes;
  if (options_.bkp_removable) {
    header.info |= kPageBkpRemovable;
  }
  if (continued_bytes > 0) {
    header.info |= kPageFirstIsContRecord;
  }
  if (segment_offset(position_, options_.seg_size_bytes) == 0) {
    header.info |= kPageLongHeader;
    header.system_id = options_.system_id;
    header.seg_size_bytes = static_cast<std::uint32_t>(options_.seg_size_bytes);
    header.page_size_bytes = kWalPageSizeBytes;
  }
  std::size_t at = bytes_.size();
  bytes_.resize(at + header.size_bytes());
  encode_page_header(header, std::span(bytes_).subspan(at));
  position_ = position_.plus_bytes(header.size_bytes());
}

GeneratedRecord WalGenerator::append_record_with_body(std::uint8_t rmid, std::uint8_t info,
                                                      std::uint32_t xid,
                                                      std::span<const std::uint8_t> body) {
  SK_CHECK(is_valid_rmgr_id(rmid));
  SK_CHECK(body.size() <= kMaxRecordSizeBytes - kRecordHeaderSizeBytes);
  record_.assign(kRecordHeaderSizeBytes, 0);
  record_.insert(record_.end(), body.begin(), body.end());
  RecordHeader header;
  header.tot_len_bytes = static_cast<std::uint32_t>(record_.size());
  header.xid = xid;
  header.prev = prev_record_lsn_;
  header.info = info;
  header.rmid = rmid;
  encode_record_header(header, record_);
  Crc32c crc;
  crc.update(body);
  crc.update(std::span(record_).first(kRecordCrcOffsetBytes));
  store_u32(record_.data() + kRecordCrcOffsetBytes, crc.finish());

  if (position_.value() % kWalPageSizeBytes == 0) {
    write_page_header(0);
  }
  Lsn start = position_;
  std::size_t written = 0;
  while (written < record_.size()) {
    if (written > 0 && position_.value() % kWalPageSizeBytes == 0) {
      write_page_header(static_cast<std::uint32_t>(record_.size() - written));
    }
    std::size_t take = std::min<std::size_t>(record_.size() - written, bytes_left_in_page());
    bytes_.insert(bytes_.end(), record_.begin() + static_cast<std::ptrdiff_t>(written),
                  record_.begin() + static_cast<std::ptrdiff_t>(written + take));
    position_ = position_.plus_bytes(take);
    written += take;
  }
  write_zeros(max_align(position_.value()) - position_.value());

  bool is_switch = rmid == kRmgrXlog && (info & kXlrRmgrInfoMask) == kXlogSwitch;
  if (is_switch) {
    // Like PostgreSQL, fill the rest of the segment with initialized but empty pages.
    while (segment_offset(position_, options_.seg_size_bytes) != 0) {
      if (position_.value() % kWalPageSizeBytes == 0) {
        write_page_header(0);
      }
      write_zeros(bytes_left_in_page());
    }
  }
  prev_record_lsn_ = start;
  ++records_written_;
  return GeneratedRecord{start, position_};
}

GeneratedRecord WalGenerator::append_record(std::uint8_t rmid, std::uint8_t info, std::uint32_t xid,
                                            std::span<const std::uint8_t> main_data) {
  std::vector<std::uint8_t> body;
  body.reserve(main_data.size() + 5);
  // PostgreSQL's XLogRecordAssemble: the short header when the length fits a byte, no header at
  // all for an empty main data.
  if (main_data.size() > 255) {
    body.resize(5);
    body[0] = kBlockIdDataLong;
    store_u32(body.data() + 1, static_cast<std::uint32_t>(main_data.size()));
  } else if (!main_data.empty()) {
    body = {kBlockIdDataShort, static_cast<std::uint8_t>(main_data.size())};
  }
  body.insert(body.end(), main_data.begin(), main_data.end());
  return append_record_with_body(rmid, info, xid, body);
}

GeneratedRecord WalGenerator::append_noop(std::size_t main_data_bytes) {
  std::vector<std::uint8_t> filler(main_data_bytes);
  // Varying filler, so that a misplaced fragment does not happen to look like the right one.
  for (std::size_t i = 0; i < filler.size(); ++i) {
    filler[i] = static_cast<std::uint8_t>(i * 131 + records_written_ * 7 + 1);
  }
  return append_record(kRmgrXlog, kXlogNoop, 0, filler);
}

GeneratedRecord WalGenerator::append_commit(std::uint32_t xid, std::int64_t xact_time_us) {
  std::uint8_t main_data[8];
  store_u64(main_data, static_cast<std::uint64_t>(xact_time_us));
  return append_record(kRmgrXact, kXactCommit, xid, main_data);
}

GeneratedRecord WalGenerator::append_switch() {
  return append_record(kRmgrXlog, kXlogSwitch, 0, {});
}

std::vector<std::uint8_t> WalGenerator::take_bytes() {
  std::vector<std::uint8_t> taken = std::move(bytes_);
  bytes_.clear();
  bytes_start_lsn_ = position_;
  return taken;
}

}  // namespace sk::pgwal
