// Segment numbers, offsets and file names; see segment_name.h.
#include "safekeeper/pgwal/segment_name.h"

#include <bit>
#include <optional>
#include <string>

#include "consensus/check.h"
#include "safekeeper/pgwal/wal_format.h"

namespace sk::pgwal {
namespace {

constexpr std::size_t kFileNameLength = 24;

// PostgreSQL splits the segment number into a 32-bit "log id" and a segment within it, a legacy
// of the time LSNs were two 32-bit halves: 2^32 bytes of WAL per log id.
std::uint64_t segments_per_log_id(std::uint64_t seg_size_bytes) {
  return (std::uint64_t{1} << 32) / seg_size_bytes;
}

void append_hex8(std::string& out, std::uint32_t value) {
  static constexpr char kDigits[] = "0123456789ABCDEF";
  for (int shift = 28; shift >= 0; shift -= 4) {
    out.push_back(kDigits[(value >> shift) & 0xFu]);
  }
}

std::optional<std::uint32_t> parse_upper_hex32(std::string_view digits) {
  std::uint32_t value = 0;
  for (char c : digits) {
    std::uint32_t digit = 0;
    if (c >= '0' && c <= '9') {
      digit = static_cast<std::uint32_t>(c - '0');
    } else if (c >= 'A' && c <= 'F') {
      digit = static_cast<std::uint32_t>(c - 'A' + 10);
    } else {
      return std::nullopt;
    }
    value = (value << 4) | digit;
  }
  return value;
}

}  // namespace

bool is_valid_segment_size(std::uint64_t seg_size_bytes) {
  return std::has_single_bit(seg_size_bytes) && seg_size_bytes >= kMinSegmentSizeBytes &&
         seg_size_bytes <= kMaxSegmentSizeBytes;
}

Status check_segment_size(std::uint64_t seg_size_bytes) {
  if (!is_valid_segment_size(seg_size_bytes)) {
    return Error(ErrorCode::kInvalidArgument,
                 "WAL segment size " + std::to_string(seg_size_bytes) +
                     " bytes is not a power of two between 1 MiB and 1 GiB");
  }
  return {};
}

Status check_record_start(consensus::Lsn lsn, std::uint64_t seg_size_bytes) {
  if (Status status = check_segment_size(seg_size_bytes); !status) {
    return status;
  }
  if (lsn == consensus::kInvalidLsn) {
    return Error(ErrorCode::kInvalidArgument, "WAL cannot start at LSN 0/0");
  }
  if (lsn.value() % kMaxAlignBytes != 0) {
    return Error(ErrorCode::kInvalidArgument,
                 "start LSN " + lsn.to_string() + " is not 8-byte aligned");
  }
  const std::uint64_t page_offset = lsn.value() % kWalPageSizeBytes;
  const std::uint32_t header_size = segment_offset(lsn, seg_size_bytes) < kWalPageSizeBytes
                                        ? kLongPageHeaderSizeBytes
                                        : kShortPageHeaderSizeBytes;
  if (page_offset != 0 && page_offset < header_size) {
    return Error(ErrorCode::kInvalidArgument,
                 "start LSN " + lsn.to_string() + " is inside a page header");
  }
  return {};
}

std::uint64_t segment_number(consensus::Lsn lsn, std::uint64_t seg_size_bytes) {
  SK_CHECK(is_valid_segment_size(seg_size_bytes));
  return lsn.value() / seg_size_bytes;
}

consensus::Lsn segment_start(std::uint64_t segno, std::uint64_t seg_size_bytes) {
  SK_CHECK(is_valid_segment_size(seg_size_bytes));
  SK_CHECK(segno <= UINT64_MAX / seg_size_bytes);
  return consensus::Lsn(segno * seg_size_bytes);
}

std::uint64_t segment_offset(consensus::Lsn lsn, std::uint64_t seg_size_bytes) {
  SK_CHECK(is_valid_segment_size(seg_size_bytes));
  return lsn.value() & (seg_size_bytes - 1);
}

std::string segment_file_name(std::uint32_t pg_timeline_id, std::uint64_t segno,
                              std::uint64_t seg_size_bytes) {
  SK_CHECK(is_valid_segment_size(seg_size_bytes));
  std::uint64_t per_log_id = segments_per_log_id(seg_size_bytes);
  SK_CHECK(segno / per_log_id <= UINT32_MAX);
  std::string name;
  name.reserve(kFileNameLength);
  append_hex8(name, pg_timeline_id);
  append_hex8(name, static_cast<std::uint32_t>(segno / per_log_id));
  append_hex8(name, static_cast<std::uint32_t>(segno % per_log_id));
  return name;
}

Result<SegmentFileName> parse_segment_file_name(std::string_view name,
                                                std::uint64_t seg_size_bytes) {
  if (Status status = check_segment_size(seg_size_bytes); !status) {
    return status.error();
  }
  auto invalid = [&](const std::string& why) {
    return Error(ErrorCode::kInvalidArgument,
                 "\"" + std::string(name) + "\" is not a WAL segment file name: " + why);
  };
  if (name.size() != kFileNameLength) {
    return invalid("expected 24 characters, got " + std::to_string(name.size()));
  }
  auto timeline = parse_upper_hex32(name.substr(0, 8));
  auto log_id = parse_upper_hex32(name.substr(8, 8));
  auto segment_in_log_id = parse_upper_hex32(name.substr(16, 8));
  if (!timeline || !log_id || !segment_in_log_id) {
    return invalid("expected uppercase hexadecimal digits only");
  }
  if (*timeline == 0) {
    return invalid("timeline 0 does not exist");
  }
  std::uint64_t per_log_id = segments_per_log_id(seg_size_bytes);
  if (*segment_in_log_id >= per_log_id) {
    return invalid("segment part " + std::string(name.substr(16, 8)) + " is not below " +
                   std::to_string(per_log_id) + " for " + std::to_string(seg_size_bytes) +
                   "-byte segments");
  }
  return SegmentFileName{*timeline, std::uint64_t{*log_id} * per_log_id + *segment_in_log_id};
}

}  // namespace sk::pgwal
