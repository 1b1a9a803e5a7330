// first_record_start; see first_record.h.
#include "safekeeper/pgwal/first_record.h"

#include "safekeeper/pgwal/wal_decoder.h"
#include "safekeeper/pgwal/wal_format.h"

namespace sk::pgwal {

namespace {

std::uint64_t read_le(std::span<const std::uint8_t> bytes, std::size_t offset, std::size_t size) {
  std::uint64_t value = 0;
  for (std::size_t i = 0; i < size; ++i) {
    value |= std::uint64_t{bytes[offset + i]} << (8 * i);
  }
  return value;
}

}  // namespace

std::optional<Result<consensus::Lsn>> first_record_start(std::span<const std::uint8_t> bytes,
                                                         consensus::Lsn page_lsn,
                                                         std::uint64_t seg_size_bytes) {
  std::uint64_t offset = 0;  // Of the page being read, from page_lsn.
  for (;;) {
    const std::uint64_t page = page_lsn.value() + offset;
    const bool long_header = page % seg_size_bytes == 0;
    const std::uint32_t header_size =
        long_header ? kLongPageHeaderSizeBytes : kShortPageHeaderSizeBytes;
    if (bytes.size() < offset + header_size) {
      return std::nullopt;
    }
    const auto magic = static_cast<std::uint16_t>(read_le(bytes, offset, 2));
    const auto info = static_cast<std::uint16_t>(read_le(bytes, offset + 2, 2));
    const std::uint64_t address = read_le(bytes, offset + 8, 8);
    const auto remaining = static_cast<std::uint32_t>(read_le(bytes, offset + 16, 4));
    if (magic != kPageMagicPg15 || address != page) {
      return Result<consensus::Lsn>(
          Error(ErrorCode::kCorruption,
                "WAL page at " + consensus::Lsn(page).to_string() +
                    " has no valid PostgreSQL 15 page header (magic or address)"));
    }
    if ((info & kPageFirstIsContRecord) == 0) {
      return Result<consensus::Lsn>(consensus::Lsn(page + header_size));
    }
    const std::uint64_t room = kWalPageSizeBytes - header_size;
    if (remaining <= room) {
      return Result<consensus::Lsn>(
          consensus::Lsn(page + max_align(std::uint64_t{header_size} + remaining)));
    }
    offset += kWalPageSizeBytes;
  }
}

consensus::Lsn boundary_check_page(consensus::Lsn lsn) {
  const std::uint64_t before = lsn.value() == 0 ? 0 : lsn.value() - 1;
  return consensus::Lsn(before - before % kWalPageSizeBytes);
}

Result<bool> is_record_boundary(std::span<const std::uint8_t> bytes, consensus::Lsn page_lsn,
                                consensus::Lsn target, std::uint64_t seg_size_bytes) {
  const auto first = first_record_start(bytes, page_lsn, seg_size_bytes);
  if (!first) {
    return false;  // A record begun before `target` goes on past the bytes given.
  }
  if (!*first) {
    return first->error();
  }
  if (**first >= target) {
    return **first == target;
  }
  WalDecoderOptions options;
  options.seg_size_bytes = seg_size_bytes;
  auto decoder = WalDecoder::create(**first, options);
  if (!decoder) {
    return decoder.error();
  }
  const std::uint64_t from = first->value().bytes_since(page_lsn);
  const std::uint64_t until = std::min<std::uint64_t>(bytes.size(), target.bytes_since(page_lsn));
  bool found = false;
  decoder->feed(bytes.subspan(from, until - from),
                [&](const WalRecord& record) { found = found || record.end_lsn == target; });
  if (decoder->state() == WalDecoder::State::kCorruption) {
    return Error(ErrorCode::kCorruption, "the WAL before " + target.to_string() +
                                             " does not decode: " + decoder->stop()->reason);
  }
  return found;
}

}  // namespace sk::pgwal
